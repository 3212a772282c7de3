"""Target-neutral cases for op_maps/<target>/matmul.py."""

import ml_dtypes
import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4)).astype(np.float32)
W = rng.standard_normal((5, 4)).astype(np.float32)
B = rng.standard_normal((5,)).astype(np.float32)

CASES = [
    NodeCase("gemm_linear_layer", "Gemm", {"a": A, "w": W, "b": B}, attrs={"transB": 1}, consts=("w", "b")),
    NodeCase(
        "gemm_alpha_beta_transa",
        "Gemm",
        {"a": A.T.copy(), "w": W.T.copy(), "c": np.float32(0.5)},
        attrs={"transA": 1, "alpha": 0.5, "beta": 2.0},
    ),
    NodeCase(
        "matmul_linear_layer",
        "MatMul",
        {"x": rng.standard_normal((2, 3, 4)).astype(np.float32), "w": W.T.copy()},
        consts=("w",),
    ),
    NodeCase(
        "matmul_batched_broadcast",
        "MatMul",
        {"x": rng.standard_normal((2, 3, 4)).astype(np.float32), "y": rng.standard_normal((4, 2)).astype(np.float32)},
    ),
    NodeCase(
        "matmul_int64",
        "MatMul",
        {"x": np.arange(6).reshape(2, 3), "y": np.arange(6).reshape(3, 2)},
        refuse={"mindspore": "int64 is not supported by the mindspore kernel"},
    ),
    NodeCase(
        # a bfloat16 model's Linear: the weight stays bfloat16 in the file and the layer (neither Paddle's nor
        # MindSpore's CPU has a bfloat16 matmul: computed through float32 and rounded back)
        "matmul_bfloat16_weight",
        "MatMul",
        {
            "x": rng.standard_normal((2, 3, 4)).astype(ml_dtypes.bfloat16),
            "w": rng.standard_normal((4, 5)).astype(ml_dtypes.bfloat16),
        },
        consts=("w",),
    ),
    NodeCase("einsum_bilinear", "Einsum", {"x": A, "y": W}, attrs={"equation": "ij,kj->ik"}),
    NodeCase("det_batched", "Det", {"x": rng.standard_normal((2, 3, 3)).astype(np.float32)}),
    NodeCase(
        "matmul_integer_zero_points",
        "MatMulInteger",
        {
            "a": rng.integers(0, 255, (3, 4)).astype(np.uint8),
            "b": rng.integers(0, 255, (4, 2)).astype(np.uint8),
            "za": np.uint8(12),
            "zb": np.uint8(200),
        },
    ),
]

_R = np.random.default_rng(5)


def _t(*shape):
    return _R.standard_normal(shape).astype(np.float32)


CASES += [
    NodeCase(
        "einsum_attention_scores",
        "Einsum",
        {"q": _t(2, 3, 4, 5), "k": _t(2, 3, 6, 5)},
        attrs={"equation": "bhqd,bhkd->bhqk"},
    ),  # fmt: skip
    NodeCase(
        "einsum_ellipsis_matmul",
        "Einsum",
        {"a": _t(2, 3, 4, 5), "b": _t(2, 3, 5, 2)},
        attrs={"equation": "...ij,...jk->...ik"},
    ),  # fmt: skip
    NodeCase(
        "einsum_three_operands",
        "Einsum",
        {"a": _t(3, 4), "b": _t(4, 5), "c": _t(5, 2)},
        attrs={"equation": "ij,jk,kl->il"},
    ),  # fmt: skip
    NodeCase("einsum_sums_a_lone_label", "Einsum", {"a": _t(3, 4, 5), "b": _t(4, 2)}, attrs={"equation": "ijk,jl->li"}),
    NodeCase("einsum_implicit_output", "Einsum", {"a": _t(3, 4), "b": _t(4, 5)}, attrs={"equation": "ij,jk"}),
    NodeCase("einsum_outer_product", "Einsum", {"a": _t(3), "b": _t(4)}, attrs={"equation": "i,j->ij"}),
    NodeCase(
        "einsum_diagonal",
        "Einsum",
        {"a": _t(3, 3)},
        attrs={"equation": "ii->i"},
        refuse={"mindspore": "a diagonal", "paddle": None},
    ),  # fmt: skip
]
