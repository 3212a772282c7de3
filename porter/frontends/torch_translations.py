"""porter's own ONNX translations for PyTorch ops that torch.onnx's dynamo exporter cannot translate.

A table like the op maps: the key names the torch op ("namespace::op.overload"), the value builds its
ONNX graph with ONNX Script. `translation_table()` gives torch.onnx.export the entries whose ops exist
in this process (a library registers its custom ops only once imported), so a model converts where the
exporter alone fails. Each entry says which architectures need it and why it is exact.
"""

from __future__ import annotations

import contextlib
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


@translation("aten::_native_batch_norm_legit_functional.default")
def _batch_norm_functional():
    """BatchNorm in train mode (any CNN exported with `--train`): torch.onnx's own translation forces
    inference mode (running statistics), a silent wrong answer for a port that trains. This one emits
    BatchNormalization with training_mode=1 (batch statistics), as torch computes in train mode; the port
    updates the running statistics in place with torch's momentum (porter/semantics.py)."""
    from porter.frontends.torch_onnxscript import batch_norm_functional

    return batch_norm_functional


def translation_table() -> dict:
    """{torch op overload: ONNX Script function} for the ops of the table that exist now (porter's own and
    those of the user's plugins, porter/plugins.py)."""
    import torch

    from porter import plugins

    plugins.load_configured()

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


@contextlib.contextmanager
def source_state_kept(state=(), computed=()):
    """While exporting, switch off the rewrites of the exporter's optimizer that drop or merge the source's
    state_dict tensors (`state`: torch's names), so the port holds them under torch's names in every export:
    - onnxscript's fuse_batchnorm rules (default since 0.5) fold a BatchNorm's statistics into the Conv/Gemm
      weights: exact for inference, but the layer and torch's state_dict keys are lost (a hand port keeps
      nn.BatchNorm2D; folding it for speed would be a porter pass, not the exporter's), and in a train-mode
      export they ignore training_mode and drop the batch statistics;
    - DeduplicateInitializersPass merges equal tensors: BatchNorm running means (zeros) and variances (ones)
      of equal width, a fresh BatchNorm's running_mean with its bias, two fresh LayerNorms' weights: buffers
      would become one shared tensor, or a parameter, and separate parameters one tied parameter. The
      exporter's own equal constants are still merged (with the whole pass off, wav2vec2's port had 142
      operations instead of 124);
    - constant folding of a node that reads a parameter of `computed` (torch's names): MoE experts'
      Transpose(gate_up_proj) became a new constant `transpose_4`, weight_norm's g * v / |v| one computed
      weight, and the parameters were lost. Every export passes them, and porter's lowering does not fold
      such nodes either (porter.folding.reads_trainable), so a torch checkpoint loads into any port.
    The optimizer looks them up when it runs, so swapping them for the export is enough; `check_batch_norms`
    then proves a train-mode export's BatchNorm nodes survived, whatever onnxscript version is installed."""
    import onnx_ir.passes.common as common_passes
    from onnxscript import rewriter
    from onnxscript.optimizer import _constant_folding
    from onnxscript.rewriter.rules.common import _fuse_batchnorm

    dedup = common_passes.DeduplicateInitializersPass
    folding = _constant_folding.FoldConstantsPass
    default = getattr(rewriter, "_DEFAULT_REWRITE_RULES", ())
    fusions = set(getattr(_fuse_batchnorm, "rules", []))
    rewriter._DEFAULT_REWRITE_RULES = tuple(rule for rule in default if rule not in fusions)
    common_passes.DeduplicateInitializersPass = _source_tensors_unmerged(dedup, frozenset(state))
    _constant_folding.FoldConstantsPass = _source_computations_kept(folding, frozenset(computed))
    try:
        yield
    finally:
        rewriter._DEFAULT_REWRITE_RULES = default
        common_passes.DeduplicateInitializersPass = dedup
        _constant_folding.FoldConstantsPass = folding


def _source_tensors_unmerged(dedup: type, state: frozenset) -> type:
    """onnx_ir's DeduplicateInitializersPass, with the source's tensors out of its reach: the pass sees
    only the graph's other initializers (it takes them from `graph.initializers`), and the source's are put
    back in their original order."""

    class _Unmerged(dedup):
        def call(self, model):
            held = []
            for graph in model.graphs():
                everything = dict(graph.initializers)
                held.append((graph, everything))
                for name in everything:
                    if name in state:
                        graph.initializers.pop(name)
            try:
                return super().call(model)
            finally:
                for graph, everything in held:
                    kept = dict(graph.initializers)
                    graph.initializers.clear()
                    for name, value in everything.items():
                        if name in kept or name in state:
                            graph.initializers[name] = value

    return _Unmerged


def _source_computations_kept(folding: type, computed: frozenset) -> type:
    """onnxscript's FoldConstantsPass, never folding a node that reads one of `computed`, except the
    transpose of torch's Linear weight (aten.linear's own Transpose): folded, it is the weight [in, out] that
    porter.torch_graph.linear_weights names back to `<module>.weight` and lowering writes as the
    framework's Linear layer; kept, every Linear would be a matmul with a transpose."""

    class _Kept(folding):
        def __init__(self, *args, should_fold=lambda node: None, **kwargs):
            def keep(node):
                if _linear_weight_transpose(node):
                    return should_fold(node)
                if any(value is not None and value.name in computed for value in node.inputs):
                    return False
                return should_fold(node)

            super().__init__(*args, should_fold=keep, **kwargs)

    return _Kept


def _linear_weight_transpose(node) -> bool:
    """An onnx_ir node: the Transpose torch.onnx writes for aten.linear's weight."""
    return node.op_type == "Transpose" and "aten.linear" in node.metadata_props.get("pkg.torch.onnx.fx_node", "")


def check_batch_norms(module, model) -> None:
    """A train-mode export must keep one training-mode BatchNormalization per BatchNorm module that tracks
    running statistics (each call is one node): fewer means a fusion or a translation dropped batch
    statistics, which would be a silent wrong answer in a port that trains."""
    import torch

    norms = [
        name
        for name, sub in module.named_modules()
        if isinstance(sub, torch.nn.modules.batchnorm._BatchNorm) and sub.track_running_stats and sub.training
    ]
    kept = sum(
        1
        for node in model.graph.node
        if node.op_type == "BatchNormalization" and any(a.name == "training_mode" and a.i for a in node.attribute)
    )
    if norms and kept < len(norms):
        from porter.errors import PorterError

        raise PorterError(
            f"the train-mode export kept {kept} training-mode BatchNormalization node(s) for "
            f"{len(norms)} BatchNorm module(s) ({', '.join(norms)}): batch statistics would be lost"
        )
