"""Target-neutral cases for op_maps/<target>/attention.py (ONNX Attention, opset 23+)."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)


def _t(*shape):
    return rng.standard_normal(shape).astype(np.float32)


_ROW_MASKED = np.array([[True, True, False, True], [False, False, False, False], [True, False, True, True]])

CASES = [
    NodeCase(
        "attention_4d_causal",
        "Attention",
        {"q": _t(2, 3, 4, 8), "k": _t(2, 3, 4, 8), "v": _t(2, 3, 4, 8)},
        attrs={"is_causal": 1},
        opset=23,
    ),  # fmt: skip
    NodeCase(
        "attention_3d_gqa_past_present",
        "Attention",
        {
            "q": _t(2, 3, 16),
            "k": _t(2, 3, 8),
            "v": _t(2, 3, 8),
            "mask": None,
            "pk": _t(2, 2, 5, 4),
            "pv": _t(2, 2, 5, 4),
        },
        attrs={"q_num_heads": 4, "kv_num_heads": 2, "is_causal": 1},
        n_outputs=3,
        opset=23,
    ),  # fmt: skip
    # a fully masked query row attends to nothing (zeros); MindSpore's softmax of an all -inf row also spoils
    # the other rows, which the helper avoids
    NodeCase(
        "attention_bool_mask_fully_masked_row",
        "Attention",
        {"q": _t(1, 2, 3, 8), "k": _t(1, 2, 4, 8), "v": _t(1, 2, 4, 8), "mask": _ROW_MASKED},
        attrs={"qk_matmul_output_mode": 3},
        n_outputs=4,
        opset=23,
    ),  # fmt: skip
    NodeCase(
        "attention_float_mask_softcap_scale",
        "Attention",
        {"q": _t(1, 2, 3, 8), "k": _t(1, 2, 5, 8), "v": _t(1, 2, 5, 6), "mask": _t(3, 5)},
        attrs={"softcap": 2.0, "scale": 0.3, "qk_matmul_output_mode": 2},
        n_outputs=4,
        opset=23,
    ),  # fmt: skip
    NodeCase(
        "attention_nonpad_kv_seqlen_causal",
        "Attention",
        {
            "q": _t(2, 2, 3, 4),
            "k": _t(2, 2, 6, 4),
            "v": _t(2, 2, 6, 4),
            "mask": None,
            "pk": None,
            "pv": None,
            "nonpad": np.array([6, 4], np.int64),
        },
        attrs={"is_causal": 1},
        opset=24,
    ),  # fmt: skip
    NodeCase(
        "attention_3d_missing_heads",
        "Attention",
        {"q": _t(2, 3, 16), "k": _t(2, 3, 16), "v": _t(2, 3, 16)},
        opset=23,
        refuse="need q_num_heads and kv_num_heads",
    ),  # fmt: skip
]

# RotaryEmbedding: caches of 10 positions, rotary halves or interleaved pairs, part of the channels rotated
_COS, _SIN = np.cos(_t(10, 4)), np.sin(_t(10, 4))
_POS = np.array([[0, 3, 9], [2, 2, 5]], np.int64)
CASES += [
    NodeCase(
        "rotary_4d_positions",
        "RotaryEmbedding",
        {"x": _t(2, 2, 3, 8), "cos": _COS, "sin": _SIN, "pos": _POS},
        opset=23,
    ),
    NodeCase(
        "rotary_interleaved_partial",
        "RotaryEmbedding",
        {"x": _t(2, 2, 3, 8), "cos": _COS[:, :2], "sin": _SIN[:, :2], "pos": _POS},
        attrs={"interleaved": 1, "rotary_embedding_dim": 4},
        opset=23,
    ),
    NodeCase(  # 3-D input, caches already per (batch, position)
        "rotary_3d_no_positions",
        "RotaryEmbedding",
        {"x": _t(2, 3, 16), "cos": np.cos(_t(2, 3, 4)), "sin": np.sin(_t(2, 3, 4))},
        attrs={"num_heads": 2},
        opset=23,
    ),
    NodeCase(
        "rotary_3d_missing_heads",
        "RotaryEmbedding",
        {"x": _t(2, 3, 16), "cos": np.cos(_t(2, 3, 4)), "sin": np.sin(_t(2, 3, 4))},
        opset=23,
        refuse="a 3-D input needs num_heads",
    ),
]
