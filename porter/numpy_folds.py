"""The small shape ops constant folding meets most (Unsqueeze, Squeeze, Reshape, Shape, Concat, Gather), folded
with numpy directly, as onnx.reference computes them.

onnx.reference's first ReferenceEvaluator costs a fresh `porter convert` about 0.13 s (it imports every op
implementation), and a zoo CNN's folded nodes are mostly these: densenet121 unsqueezes 242 BatchNorm
parameters. Each function below is the reference's own `_run` for that schema version (onnx/reference/ops/
op_<name>.py), so a fold gives the same array, dtype and shape; it covers only the node forms the reference
accepts with those exact attributes, and returns None for anything else (another attribute, a missing input,
an error), which then goes to onnx.reference itself: a failure there keeps the node a run-time op, as before.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _unsqueeze_1(attrs, data):
    # Unsqueeze-1/11: axes is an attribute, inserted one at a time in the order given
    axes = attrs.get("axes")
    if not axes:
        return None
    for a in axes:
        data = np.expand_dims(data, axis=a)
    return data


def _unsqueeze_13(attrs, data, axes=None):
    if axes is None:
        return None
    if hasattr(axes, "__iter__") and len(axes.shape) > 0:
        return np.expand_dims(data, axis=tuple(axes))
    return np.expand_dims(data, axis=axes)


def _squeeze_1(attrs, data):
    axes = attrs.get("axes")
    if not axes:
        return np.squeeze(data, axis=None)
    for a in reversed(axes):
        data = np.squeeze(data, axis=a)
    return data


def _squeeze_13(attrs, data, axes=None):
    if axes is None:
        return np.squeeze(data)
    return np.squeeze(data, axis=tuple(axes) if hasattr(axes, "__iter__") else axes)


def _reshape(attrs, data, shape):
    # a 0 copies the input's dim at that position unless allowzero=1 (opset 14)
    new_shape = np.copy(shape)
    if attrs.get("allowzero", 0) != 1:
        zeros = np.where(shape == 0)
        new_shape[zeros] = np.array(data.shape)[zeros]
    return np.reshape(data, new_shape)


def _shape(attrs, data):
    start, end = attrs.get("start", 0), attrs.get("end")
    n = len(data.shape)
    if start == 0 and end is None:
        return np.array(data.shape, dtype=np.int64)
    end = n if end is None else (n + end if end < 0 else end)
    return np.array(data.shape[start:end], dtype=np.int64)


def _concat(attrs, *args):
    axis = attrs.get("axis")
    if axis is None or any(len(a.shape) == 0 or not -len(a.shape) <= axis < len(a.shape) for a in args):
        return None
    return np.concatenate(args, axis)


def _gather(attrs, x, indices):
    # only when not contiguous: np.ascontiguousarray makes a 0-d index 1-d (a scalar index drops the axis)
    x = x if x.flags["C_CONTIGUOUS"] else np.ascontiguousarray(x)
    indices = indices if indices.flags["C_CONTIGUOUS"] else np.ascontiguousarray(indices)
    return np.take(x, indices, axis=attrs.get("axis", 0))


def _rows(op_type, versions, attrs, arity, fn):
    return {(op_type, since): (frozenset(attrs), arity, fn) for since in versions}


# (op_type, since_version) -> (the attributes that schema has, (fewest, most) inputs, the function). Only the
# versions listed: a schema version onnx adds later goes to onnx.reference until it is read and added here.
FOLDS: dict[tuple[str, int], tuple[frozenset[str], tuple[int, int], Callable]] = {
    **_rows("Unsqueeze", (1, 11), {"axes"}, (1, 1), _unsqueeze_1),
    **_rows("Unsqueeze", (13, 21, 23, 24, 25), (), (2, 2), _unsqueeze_13),
    **_rows("Squeeze", (1, 11), {"axes"}, (1, 1), _squeeze_1),
    **_rows("Squeeze", (13, 21, 23, 24, 25), (), (1, 2), _squeeze_13),
    **_rows("Reshape", (5, 13), (), (2, 2), _reshape),  # Reshape-1 took the shape as an attribute
    **_rows("Reshape", (14, 19, 21, 23, 24, 25), {"allowzero"}, (2, 2), _reshape),
    **_rows("Shape", (1, 13), (), (1, 1), _shape),
    **_rows("Shape", (15, 19, 21, 23, 24, 25), {"start", "end"}, (1, 1), _shape),
    **_rows("Concat", (4, 11, 13), {"axis"}, (1, 1 << 16), _concat),  # Concat-1's axis had a default
    **_rows("Gather", (1, 11, 13), {"axis"}, (2, 2), _gather),
}


def fold_with_numpy(op_type: str, since: int | None, attrs: dict, arrays: list) -> np.ndarray | None:
    """The node's one output computed as onnx.reference does, or None when this is not one of FOLDS' forms
    (then onnx.reference decides). `attrs` are the node's attributes as Python values, `arrays` its inputs
    (None for an omitted optional one)."""
    entry = FOLDS.get((op_type, since))
    if entry is None:
        return None
    names, (least, most), fn = entry
    if not set(attrs) <= names or not least <= len(arrays) <= most or any(a is None for a in arrays):
        return None
    if any(not isinstance(a, np.ndarray) or a.dtype.kind in "OUSV" for a in arrays):
        return None
    try:  # no arithmetic here, so no floating-point state to guard
        out = fn(attrs, *arrays)
    except Exception:  # the reference raises too, or says why: let it
        return None
    return None if out is None else np.asarray(out)
