import numpy as np
import onnx
from onnx import TensorProto, helper

from porter.convert import generate
from porter.symdims import (
    ABSENT,
    Dim,
    SymValue,
    expand_shape,
    from_const,
    monomial,
    propagate,
    shape_of,
    slice_subscript,
)

BATCH = Dim("x.shape[0]", True, "batch")
SEQ = Dim("x.shape[1]", True, "seq")


def _node(op_type, n_inputs=2, **attrs):
    return helper.make_node(op_type, [f"i{k}" for k in range(n_inputs)], ["o"], **attrs)


def test_shape_names_symbolic_dims_after_the_graph_input_that_has_them():
    sym = shape_of("h", ("batch", 4, "s0"), 0, None, {"batch": "input_ids.shape[0]"})
    assert sym.source() == "[input_ids.shape[0], 4, h.shape[2]]"
    assert sym.dims[0].key == "batch"


def test_the_static_part_of_a_symbolic_shape_is_literal():
    # torch.onnx's attention reshapes take the static head dims from a shape whose batch is symbolic
    assert shape_of("h", ("batch", 4, 8), 1, None, {}).source() == "[4, 8]"


def test_gather_concat_and_arithmetic_follow_the_elements():
    shape = SymValue((BATCH, SEQ, Dim.of(32)))
    seq = propagate(_node("Gather", axis=0), [shape, from_const(np.array(1, np.int64))], {"axis": 0})
    assert seq.scalar and seq.dims == (SEQ,)
    plus = propagate(_node("Add"), [from_const(np.array(1, np.int64)), seq], {})
    assert plus.dims[0].expr == "1 + x.shape[1]" and plus.dims[0].nonneg
    row = propagate(_node("Unsqueeze"), [plus, from_const(np.array([0], np.int64))], {})
    joined = propagate(
        _node("Concat", 3, axis=0), [SymValue((BATCH,)), row, from_const(np.array([-1], np.int64))], {"axis": 0}
    )
    assert joined.source() == "[x.shape[0], 1 + x.shape[1], -1]"


def test_a_product_of_named_dims_knows_its_factors():
    """So a module can read `tokens * 2` from a tensor of its own whose dim torch names 'seq*batch'."""
    sym = shape_of("__value0__", ("batch", "seq"), 0, None, {"batch": "__value0__.shape[0]"})
    assert [d.factors for d in sym.dims] == [(1, ("batch",)), (1, ("seq",))]
    seq = propagate(_node("Gather", axis=0), [sym, from_const(np.array(1, np.int64))], {"axis": 0})
    batch = propagate(_node("Gather", axis=0), [sym, from_const(np.array(0, np.int64))], {"axis": 0})
    tokens = propagate(_node("Mul"), [seq, batch], {})
    twice = propagate(_node("Mul"), [tokens, from_const(np.array(2, np.int64))], {})
    assert twice.dims[0].factors == (2, ("batch", "seq")) == monomial("2*seq*batch")
    assert monomial("seq*batch") == (1, ("batch", "seq")) and monomial("seq + 1") is None and monomial(None) is None
    plus = propagate(_node("Add"), [seq, from_const(np.array(1, np.int64))], {})
    assert plus.dims[0].factors is None


def test_division_only_where_floor_and_truncation_agree():
    two = from_const(np.array(2, np.int64))
    assert propagate(_node("Div"), [SymValue((SEQ,), True), two], {}).dims[0].expr == "x.shape[1] // 2"
    difference = propagate(_node("Sub"), [SymValue((SEQ,), True), from_const(np.array(3, np.int64))], {})
    assert not difference.dims[0].nonneg
    assert propagate(_node("Div"), [difference, two], {}) is None  # may be negative: ONNX truncates, // floors


def test_slice_of_a_shape_with_constant_bounds():
    shape = SymValue((BATCH, SEQ, Dim.of(8)))
    consts = [from_const(np.array([v], np.int64)) for v in (-2, 2**63 - 1)]
    out = propagate(_node("Slice", 5), [shape, *consts, ABSENT, ABSENT], {})
    assert out.dims == (SEQ, Dim.of(8))
    assert propagate(_node("Slice", 3), [shape, None, consts[1]], {}) is None  # a run-time start: unknown


def test_float_casts_and_long_tensors_stay_tensors():
    assert propagate(_node("Cast", 1), [SymValue((SEQ,))], {"to": TensorProto.FLOAT}) is None
    assert from_const(np.arange(17, dtype=np.int64)) is None
    assert from_const(np.arange(3, dtype=np.float32)) is None


def test_expand_resolves_each_axis_at_convert_time():
    ones = (Dim.of(1), SEQ)
    assert expand_shape((1, "seq"), (BATCH, Dim.of(1))) == ["x.shape[0]", "-1"]
    assert expand_shape(("batch", 1), ones) == ["-1", "x.shape[1]"]
    assert expand_shape((4,), (SEQ,)) == ["4"]  # a valid target is 1 or 4
    assert expand_shape(("n",), (SEQ,)) is None  # two different symbols: only known at run time
    # unless the exporter declared the output's dims (BERT: token types 'Min(64, seq)' expanded to seq)
    assert expand_shape((1, "Min(64, seq)"), (BATCH, SEQ), ("batch", "seq")) == ["x.shape[0]", "x.shape[1]"]


def test_slice_subscript_matches_python_slicing():
    assert slice_subscript(3, [Dim.of(4)], [Dim.of(2**63 - 1)], [2], [1]) == "[:, :, 4:]"
    assert slice_subscript(2, [Dim.of(0)], [SEQ], [-1], [1]) == "[:, 0:x.shape[1]]"
    assert slice_subscript(1, [Dim.of(-1)], [Dim.of(-(2**63))], [0], [-1]) == "[-1::-1]"
    data = np.arange(10)
    for start, end, step in [(2, 100, 1), (-100, 5, 2), (8, -100, -1), (2**62, -(2**63), -3)]:
        subscript = slice_subscript(1, [Dim.of(start)], [Dim.of(end)], [0], [step])
        assert eval(f"data{subscript}").tolist() == data[start:end:step].tolist(), subscript  # noqa: S307 - test


def test_torch_style_view_lowers_to_the_inputs_own_dims():
    # x[batch, seq, 8] -> view(batch, seq * 2, 4): Shape -> Gather -> Mul -> Unsqueeze -> Concat -> Reshape
    i64 = lambda name, values: onnx.numpy_helper.from_array(np.array(values, np.int64), name)  # noqa: E731
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["b"], axis=0),
        helper.make_node("Gather", ["s", "one"], ["n"], axis=0),
        helper.make_node("Mul", ["n", "two"], ["n2"]),
        helper.make_node("Unsqueeze", ["b", "axes"], ["bu"]),
        helper.make_node("Unsqueeze", ["n2", "axes"], ["nu"]),
        helper.make_node("Concat", ["bu", "nu", "four"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "view",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq2", 4])],
        initializer=[i64("zero", 0), i64("one", 1), i64("two", 2), i64("axes", [0]), i64("four", [4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    for target, call in (("paddle", "paddle.reshape(x, [x.shape[0], x.shape[1] * 2, 4])"),
                         ("mindspore", "ops.reshape(x, (x.shape[0], x.shape[1] * 2, 4))")):  # fmt: skip
        _, code = generate(model, target)
        assert call in code, code
        assert ".tolist()" not in code and ".asnumpy()" not in code
