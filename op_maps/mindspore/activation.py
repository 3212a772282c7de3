"""Activations for MindSpore: Relu, Sigmoid, Identity (more to come; see docs/operators.md)."""

from porter.op_maps.mindspore._registry import REGISTRY, op
from porter.rows import direct

direct(REGISTRY, "Relu", "ops.relu", versions=[6, 13, 14], dtypes={"float32", "float64", "float16"})
direct(REGISTRY, "Sigmoid", "ops.sigmoid", versions=[6, 13], dtypes={"float32", "float64", "float16"})


@op("Identity")
def identity(n):
    """the input itself"""
    return n.x(0)
