"""Target-neutral cases for op_maps/<target>/index.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3, 2)).astype(np.float32)
I64 = np.int64

CASES = [
    NodeCase(
        "gather_negative_indices_2d", "Gather", {"x": X, "i": np.array([[0, -1], [2, -3]], I64)}, attrs={"axis": 0}
    ),
    NodeCase("gather_const_axis1", "Gather", {"x": X, "i": np.array([2, 0], I64)}, attrs={"axis": 1}, consts=("i",)),
    # one constant index is plain indexing (x[:, -1], x[..., 1, :]): axes from either end, negative indices
    *(
        NodeCase(
            f"gather_scalar_axis{axis}_index{index}",
            "Gather",
            {"x": X, "i": np.array(index, I64)},
            attrs={"axis": axis},
            consts=("i",),
        )  # fmt: skip
        for axis, index in [(0, 3), (1, -1), (2, 0), (-1, -2), (-2, 1)]
    ),
    NodeCase(
        "gather_elements_negative",
        "GatherElements",
        {"x": X, "i": np.array([[[-1, 0]] * 3] * 4, I64)},
        attrs={"axis": 2},
    ),
    NodeCase(
        "gather_nd_batch",
        "GatherND",
        {"x": X, "i": np.array([[[1], [0], [2]]] * 4, I64).reshape(4, 3, 1)[:, :1]},
        attrs={"batch_dims": 1},
        refuse={"mindspore": "batch_dims > 0 is not mapped"},
    ),
    NodeCase(
        "scatter_elements_add",
        "ScatterElements",
        {"x": X, "i": np.zeros((1, 3, 2), I64), "u": np.ones((1, 3, 2), np.float32)},
        attrs={"axis": 0, "reduction": "add"},
    ),
    NodeCase(
        "scatter_nd_mul",
        "ScatterND",
        {"x": X, "i": np.array([[1], [3]], I64), "u": np.full((2, 3, 2), 2.0, np.float32)},
        attrs={"reduction": "mul"},
    ),
    NodeCase(
        "onehot_negative_axis0",
        "OneHot",
        {"i": np.array([0, -1, 2], I64), "d": np.array(4, I64), "v": np.float32([-1, 5])},
        attrs={"axis": 0},
    ),
    NodeCase("nonzero", "NonZero", {"x": X > 0}),
    NodeCase("compress_axis", "Compress", {"x": X, "c": np.array([True, False, True])}, attrs={"axis": 1}),
    NodeCase(
        "topk_smallest_ties",
        "TopK",
        {"x": np.float32([[3, 1, 1, 2]]), "k": np.array([2], I64)},
        attrs={"largest": 0},
        n_outputs=2,
    ),
    NodeCase(  # how torch.onnx sorts MoE expert ids: int64 with many ties, lower index first
        "topk_int64_ties",
        "TopK",
        {"x": np.array([[1, 0, 1, 0, 2, 1, 0, 2, 1, 0]], I64), "k": np.array([10], I64)},
        attrs={"largest": 0},
        consts=("k",),
        n_outputs=2,
    ),
    NodeCase("unique_unsorted", "Unique", {"x": np.float32([2, 1, 1, 3, 2])}, attrs={"sorted": 0}, n_outputs=4),
    NodeCase(
        "unique_axis_sorted",
        "Unique",
        {"x": np.array([[1, 0, 0], [1, 0, 0], [2, 3, 4]], np.int64)},
        attrs={"axis": 0},
        n_outputs=4,
    ),
    NodeCase(
        "scatter_deprecated",
        "Scatter",
        {"x": np.zeros((3, 3), np.float32), "i": np.array([[2, 0]], I64), "u": np.float32([[1.5, 2.5]])},
        attrs={"axis": 1},
        opset=10,
    ),
    NodeCase(
        "reverse_sequence",
        "ReverseSequence",
        {"x": X, "l": np.array([1, 2, 3], I64)},
        attrs={"batch_axis": 1, "time_axis": 0},
    ),
    NodeCase(  # sorted=0: any order is valid ONNX; with k=1 every runtime agrees, so the values must match
        "topk_unsorted",
        "TopK",
        {"x": X, "k": np.array([1], I64)},
        attrs={"sorted": 0},
        consts=("k",),
        n_outputs=2,
    ),
]

# TensorScatter (KV-cache update): per-batch write indices, a circular wrap past the end, the default index 0
_CACHE = rng.standard_normal((2, 3, 6, 4)).astype(np.float32)
_UPDATE = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
CASES += [
    NodeCase(
        "tensor_scatter_linear",
        "TensorScatter",
        {"past": _CACHE, "update": _UPDATE, "w": np.array([0, 2], I64)},
        opset=24,
    ),
    NodeCase(
        "tensor_scatter_circular_wraps",
        "TensorScatter",
        {"past": _CACHE, "update": _UPDATE, "w": np.array([5, 4], I64)},
        attrs={"mode": "circular"},
        opset=24,
    ),
    NodeCase(
        "tensor_scatter_axis1_default_index",
        "TensorScatter",
        {"past": _CACHE[:, :, 0], "update": _UPDATE[:, :2, 0]},
        attrs={"axis": 1},
        opset=24,
    ),
    NodeCase(
        "tensor_scatter_batch_axis_refused",
        "TensorScatter",
        {"past": _CACHE, "update": _UPDATE},
        attrs={"axis": 0},
        opset=24,
        refuse="axis 0 is the batch axis",
    ),
]

# ScatterElements with mul / min / max and repeated indices (negative ones too): every update is reduced in
CASES += [
    NodeCase(
        f"scatter_elements_{reduction}_duplicates",
        "ScatterElements",
        {
            "x": np.float32([[1, 2, 3], [4, 5, 6]]),
            "i": np.array([[0, 2, 2, -1], [1, 1, 0, 1]], I64),
            "u": np.float32([[2, -3, 0.5, 4], [7, -1, 3, 0.25]]),
        },
        attrs={"axis": 1, "reduction": reduction},
        consts=("i",),
        opset=18,
    )
    for reduction in ("mul", "min", "max")
]
