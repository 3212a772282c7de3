"""Target-neutral cases for op_maps/<target>/shape.py."""

import numpy as np
from onnx import numpy_helper

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4)).astype(np.float32)
I64 = np.int64

CASES = [
    NodeCase("reshape_const_zero_copies", "Reshape", {"x": X, "s": np.array([0, -1], I64)}, consts=("s",)),
    NodeCase(  # a bidirectional RNN's output split per direction: 0 copies the symbolic time and batch
        "reshape_const_zero_copies_symbolic_dims",
        "Reshape",
        {"x": X, "s": np.array([0, 0, 2, 2], I64)},
        consts=("s",),
        input_shapes={"x": ["seq", "batch", X.shape[2]]},
    ),
    NodeCase(
        "reshape_runtime_shape",
        "Reshape",
        {"x": X, "s": np.array([4, 6], I64)},
    ),
    NodeCase("flatten_axis2", "Flatten", {"x": X}, attrs={"axis": 2}),
    NodeCase("flatten_axis0", "Flatten", {"x": X}, attrs={"axis": 0}),
    NodeCase("transpose_default", "Transpose", {"x": X}),
    NodeCase("concat_neg_axis", "Concat", {"a": X, "b": X}, attrs={"axis": -1}),
    NodeCase(
        "split_sizes", "Split", {"x": X, "s": np.array([1, 3], I64)}, attrs={"axis": 2}, consts=("s",), n_outputs=2
    ),
    NodeCase(
        "split_uneven_num_outputs",
        "Split",
        {"x": rng.standard_normal((7,)).astype(np.float32)},
        attrs={"num_outputs": 3},
        n_outputs=3,
    ),
    NodeCase(
        "split_equal_parts_of_a_runtime_size",
        "Split",
        {"x": rng.standard_normal((2, 6)).astype(np.float32)},
        attrs={"axis": 1, "num_outputs": 2},
        input_shapes={"x": ["batch", "width"]},
        n_outputs=2,
    ),
    NodeCase("squeeze_axes", "Squeeze", {"x": X[:, :1], "a": np.array([1], I64)}, consts=("a",)),
    NodeCase("unsqueeze_negative", "Unsqueeze", {"x": X, "a": np.array([-1, 0], I64)}, consts=("a",)),
    NodeCase("shape_slice", "Shape", {"x": X}, attrs={"start": 1, "end": -1}),
    NodeCase("size", "Size", {"x": X}),
    NodeCase(
        "expand_bidirectional",
        "Expand",
        {"x": X[0, :, :1], "s": np.array([2, 1, 6], I64)},
        opset=13,  # the target shape is a graph input: read at run time (MindSpore: PYNATIVE only)
    ),
    NodeCase(  # a decoder's pattern: the target shape is a constant, the input's batch is symbolic
        "expand_symbolic_input",
        "Expand",
        {"x": X[:, :1, :], "s": np.array([1, 4, 1], I64)},
        consts=("s",),
        input_shapes={"x": ["batch", 1, X.shape[2]]},
    ),
    NodeCase("tile", "Tile", {"x": X, "r": np.array([1, 2, 1], I64)}, consts=("r",)),
    NodeCase(
        "slice_negative_step",
        "Slice",
        {
            "x": X,
            "s": np.array([-1], I64),
            "e": np.array([-100], I64),
            "a": np.array([2], I64),
            "t": np.array([-2], I64),
        },
        consts=("s", "e", "a", "t"),
    ),
    # torch.flip's export (a codec's time reversal): a whole axis backwards, its size unknown at convert time
    NodeCase(
        "slice_flip_dynamic_axis",
        "Slice",
        {
            "x": X,
            "s": np.array([-1], I64),
            "e": np.array([-(2**63) + 1], I64),
            "a": np.array([1], I64),
            "t": np.array([-1], I64),
        },
        consts=("s", "e", "a", "t"),
        input_shapes={"x": [2, "n", 4]},
    ),  # fmt: skip
    NodeCase(
        "slice_mixed_steps",
        "Slice",
        {
            "x": X,
            "s": np.array([3, 0], I64),
            "e": np.array([0, 2], I64),
            "a": np.array([2, 0], I64),
            "t": np.array([-1, 1], I64),
        },
        consts=("s", "e", "a", "t"),
    ),  # fmt: skip
    NodeCase("slice_v1_attrs", "Slice", {"x": X}, attrs={"starts": [1], "ends": [1000], "axes": [1]}, opset=1),
    NodeCase(
        "pad_constant", "Pad", {"x": X, "p": np.array([0, 1, 0, 0, 2, 1], I64), "v": np.float32(1.5)}, consts=("p",)
    ),
    NodeCase(
        "pad_reflect_crop",
        "Pad",
        {"x": X, "p": np.array([0, 0, 2, 0, 0, -1], I64)},
        attrs={"mode": "reflect"},
        consts=("p",),
    ),
    # torch.nn.ZeroPad2d((0, 0, 1, -1)), a token shift: a negative pad crops (MindSpore's ops.pad got it right
    # on the first call only, which the harness's second call with fresh inputs catches)
    NodeCase("pad_negative_shift", "Pad", {"x": X, "p": np.array([0, 1, 0, 0, -1, 0], I64)}, consts=("p",)),
    NodeCase(
        "pad_edge_inner_axis",
        "Pad",
        {"x": X, "p": np.array([0, 2, 0, 0, 1, 3], I64)},
        attrs={"mode": "edge"},
        consts=("p",),
    ),
    NodeCase(
        "pad_wrap_axes",
        "Pad",
        {"x": X, "p": np.array([1, -1, 2, 1], I64), "v": None, "a": np.array([2, 1], I64)},
        attrs={"mode": "wrap"},
        consts=("p", "a"),
    ),
    NodeCase(
        "pad_reflect_runtime_pads", "Pad", {"x": X, "p": np.array([0, 1, 2, 0, 1, -1], I64)}, attrs={"mode": "reflect"}
    ),
    NodeCase(
        "pad_edge_dynamic_axis",
        "Pad",
        {"x": X, "p": np.array([0, 1, 0, 0, 1, 0], I64)},
        attrs={"mode": "edge"},
        consts=("p",),
        input_shapes={"x": [2, "n", 4]},
        refuse={"mindspore": "static size on padded axis 1", "paddle": None},
    ),
    NodeCase(
        "depth_to_space_crd",
        "DepthToSpace",
        {"x": rng.standard_normal((1, 8, 2, 3)).astype(np.float32)},
        attrs={"blocksize": 2, "mode": "CRD"},
    ),
    NodeCase(
        "space_to_depth",
        "SpaceToDepth",
        {"x": rng.standard_normal((1, 2, 4, 6)).astype(np.float32)},
        attrs={"blocksize": 2},
        opset=13,
    ),
    NodeCase("range_int", "Range", {"a": np.int64(10), "b": np.int64(1), "c": np.int64(-3)}),
    NodeCase(  # limit below start with a positive step: an empty result, not an error (MindSpore's arange raises)
        "range_empty",
        "Range",
        {"a": np.float32(5), "b": np.float32(1), "c": np.float32(2)},
        output_shapes={0: [0]},
    ),
    NodeCase(
        "constant_of_shape_int",
        "ConstantOfShape",
        {"s": np.array([2, 3], I64)},
        attrs={"value": numpy_helper.from_array(np.array([7], np.int32))},
    ),
    NodeCase("eyelike_k", "EyeLike", {"x": np.zeros((3, 4), np.float32)}, attrs={"k": 1}),
    NodeCase("trilu_lower_k", "Trilu", {"x": X, "k": np.array(-1, I64)}, attrs={"upper": 0}, consts=("k",)),
    NodeCase(
        "center_crop_pad", "CenterCropPad", {"x": X, "s": np.array([1, 6], I64)}, attrs={"axes": [0, 2]}, consts=("s",)
    ),
]
