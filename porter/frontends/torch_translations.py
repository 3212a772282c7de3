"""porter's own ONNX translations for PyTorch ops that torch.onnx's dynamo exporter cannot translate.

A table like the op maps: the key names the torch op ("namespace::op.overload"), the value builds its
ONNX graph with ONNX Script. `translation_table()` gives torch.onnx.export the entries whose ops exist
in this process (a library registers its custom ops only once imported), so a model converts where the
exporter alone fails. Each entry says which architectures need it and why it is exact.
"""

from __future__ import annotations

from collections.abc import Callable

_TABLE: dict[str, Callable[[], Callable]] = {}


def translation(qualified_name: str):
    """Register a builder (called lazily: onnxscript is imported only when exporting) for a torch op."""

    def deco(builder: Callable[[], Callable]) -> Callable[[], Callable]:
        _TABLE[qualified_name] = builder
        return builder

    return deco


@translation("transformers::grouped_mm_fallback.default")
def _grouped_mm_fallback():
    """transformers' MoE experts (Mixtral, Qwen-MoE, DeepSeek-V3 in transformers >= 5): rows of `input`
    sorted by expert, `offs` the cumulative row count per expert; row r uses weight[e] where e is the
    number of boundaries <= r. Exact: each output row is the same dot products the loop computes, as one
    batched MatMul over the gathered expert weights (memory S x in x out, the price of no loop)."""
    from porter.frontends.torch_onnxscript import grouped_mm_fallback

    return grouped_mm_fallback


def translation_table() -> dict:
    """{torch op overload: ONNX Script function} for the ops of the table that exist now."""
    import torch

    table = {}
    for name, builder in _TABLE.items():
        namespace, _, rest = name.partition("::")
        op_name, _, overload = rest.partition(".")
        packet = getattr(getattr(torch.ops, namespace, None), op_name, None) if hasattr(torch.ops, namespace) else None
        target = getattr(packet, overload or "default", None) if packet is not None else None
        if target is not None:
            table[target] = builder()
    return table


def names() -> list[str]:
    return sorted(_TABLE)
