"""Activations for MindSpore: Relu, Sigmoid, Identity (more to come; see docs/operators.md)."""

import numpy as np

from porter.op_maps.mindspore._registry import REGISTRY, op
from porter.rows import direct

direct(REGISTRY, "Relu", "ops.relu", versions=[6, 13, 14], dtypes={"float32", "float64", "float16"})
direct(REGISTRY, "Sigmoid", "ops.sigmoid", versions=[6, 13], dtypes={"float32", "float64", "float16"})


@op("Identity")
def identity(n):
    """the input itself"""
    return n.x(0)


@op("Softmax", dtypes={"float32", "float16", "float64"})
def softmax(n):
    """ops.softmax (opset < 13: over the flattened trailing block, supported when axis is the last)"""
    if n.since >= 13:
        return f"ops.softmax({n.x(0)}, axis={int(n.attr('axis', -1))})"
    axis = int(n.attr("axis", 1))
    shape = n.in_shape(0)
    if shape is None:
        n.refuse("input rank must be known for opset < 13 (axis coerces the input to 2-D)")
    axis = axis + len(shape) if axis < 0 else axis
    if axis == len(shape) - 1:
        return f"ops.softmax({n.x(0)}, axis=-1)"
    if any(not isinstance(d, int) for d in shape):
        n.refuse("opset < 13 Softmax over several axes needs a static input shape")
    flat = (-1, int(np.prod(shape[axis:]))) if axis else (1, -1)
    return f"ops.reshape(ops.softmax(ops.reshape({n.x(0)}, {flat!r}), axis=-1), {tuple(shape)!r})"


@op("Dropout")
def dropout(n):
    """inference: the input unchanged"""
    if n.since < 7:
        n.ignore_attr("is_test", "porter converts for inference; dropout is the identity there")
        n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
    if n.since < 12:
        n.ignore_attr("ratio", "no effect in inference")
    else:
        n.ignore_attr("seed", "no effect in inference")
        if n.has_input(2):
            mode = n.const(2)
            if mode is None or bool(mode):
                n.refuse("training_mode must be a constant false: porter converts for inference")
    x = n.x(0)
    if not n.has_output(1):
        return [x]
    mask = f"ops.ones_like({x}).astype(mindspore.bool_)" if n.since >= 10 else f"ops.ones_like({x})"
    return [x, mask]
