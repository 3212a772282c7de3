"""Constant folding: a node whose inputs are all known at convert time runs once, in onnx.reference,
and its outputs become constants of the port (shape arithmetic, constant subgraphs), within size limits.
The small shape ops folding meets most are computed with numpy as the reference does
(porter/numpy_folds.py), so a conversion that folds only those never imports onnx.reference."""

from __future__ import annotations

import numpy as np
import onnx

from porter.numpy_folds import fold_with_numpy
from porter.registry import resolve_since

# Ops whose value must not be computed at convert time: random draws, and ops with side structure.
NEVER_FOLD = frozenset(
    {
        "RandomNormal",
        "RandomNormalLike",
        "RandomUniform",
        "RandomUniformLike",
        "Bernoulli",
        "Multinomial",
        "If",
        "Loop",
        "Scan",
        "SequenceConstruct",
        "SequenceEmpty",
        "Optional",
        "ImageDecoder",
    }
)
FOLD_INPUT_LIMIT = 1 << 22  # elements across a node's constant inputs
FOLD_OUTPUT_LIMIT = 1 << 22  # a folded output bigger than this stays a run-time op (it would bloat the weights)


def fold_node(node: onnx.NodeProto, arrays: list, opsets: dict[str, int]) -> list[np.ndarray] | None:
    """One node's outputs on constant inputs, as onnx.reference computes them (numpy directly for the forms in
    porter/numpy_folds.py, onnx.reference itself for the rest); None when it cannot be evaluated."""
    quick = _numpy_fold(node, arrays, opsets)
    if quick is not None:
        return [quick]
    return _reference_fold(node, arrays, opsets)


def _numpy_fold(node: onnx.NodeProto, arrays: list, opsets: dict[str, int]) -> np.ndarray | None:
    """A one-output ONNX-domain node of porter/numpy_folds.py's forms, else None."""
    if node.domain or len(node.output) != 1 or not node.output[0]:
        return None
    if len(arrays) != len(node.input) or any(not name for name in node.input):
        return None
    if any(a.ref_attr_name or a.type not in _INT_ATTRIBUTES for a in node.attribute):
        return None
    since = resolve_since(node.op_type, opsets.get("", 0))
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    out = fold_with_numpy(node.op_type, since, attrs, list(arrays))
    return None if out is None or out.dtype.kind in "OUSV" else out


# the attribute types of every op in porter/numpy_folds.py (axes, axis, allowzero, start, end)
_INT_ATTRIBUTES = (onnx.AttributeProto.INT, onnx.AttributeProto.INTS)


def _reference_fold(node: onnx.NodeProto, arrays: list, opsets: dict[str, int]) -> list[np.ndarray] | None:
    """The node alone in a model, run by onnx.reference (imported here, on the first fold that needs it)."""
    import warnings

    from onnx.reference import ReferenceEvaluator

    feeds, graph_inputs, names = {}, [], []
    for i, (name, array) in enumerate(zip(node.input, arrays)):
        if not name:
            names.append("")
            continue
        feed = f"in{i}"
        names.append(feed)
        feeds[feed] = array
        graph_inputs.append(
            onnx.helper.make_tensor_value_info(
                feed, onnx.helper.np_dtype_to_tensor_dtype(array.dtype), list(array.shape)
            )
        )
    outs = [f"out{i}" if o else "" for i, o in enumerate(node.output)]
    folded = onnx.helper.make_node(node.op_type, names, outs, domain=node.domain)
    folded.attribute.extend(node.attribute)
    graph = onnx.helper.make_graph(
        [folded], "fold", graph_inputs, [onnx.helper.make_empty_tensor_value_info(o) for o in outs if o]
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid(d, v) for d, v in opsets.items()])
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            results = ReferenceEvaluator(model).run(None, feeds)
    except Exception:  # anything onnx.reference cannot do simply stays a run-time op
        return None
    arrays_out = [np.asarray(r) for r in results]
    if any(a.dtype.kind in "OUSV" for a in arrays_out):
        return None
    full = iter(arrays_out)
    return [next(full) if o else np.zeros(0) for o in node.output]


def reads_trainable(sources, trainable: set[str] | None) -> bool:
    """A node reading a trainable parameter of the source (`sources`: its inputs' initializer names). It
    stays a run-time op in every port, as in the source: folded, its output would be a new constant the
    optimizer never updates and a checkpoint never fills (MoE experts' transposed weights, weight_norm's
    weight from weight_g and weight_v), and the parameter, with its state_dict key, would be lost."""
    return trainable is not None and any(source in trainable for source in sources if source)
