"""The shared elementwise reading gives both targets the same ONNX rules (their spellings differ)."""

import ml_dtypes
import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from porter.registry import Registry
from porter.semantics.elementwise import UNARY_MATH, unary_math
from tests.op_maps.harness import NodeCase, build_model, check

TARGETS = ("paddle", "mindspore")
X = np.array([[-2.5, 0.5], [1.5, 3.0]], np.float32)


@pytest.mark.parametrize("target", TARGETS)
def test_float_mod_without_fmod_is_refused(target):
    model = build_model(NodeCase("mod", "Mod", {"a": X, "b": X}))
    with pytest.raises(UnsupportedOp, match="fmod=0 is undefined for floating point"):
        generate(model, target)


@pytest.mark.parametrize("target", TARGETS)
def test_clip_reads_attribute_bounds_before_opset_11(target):
    case = NodeCase("clip6", "Clip", {"x": X}, attrs={"min": -1.0, "max": 2.0}, opset=6)
    _, code = generate(build_model(case), target)
    assert "-1.0" in code and "2.0" in code and "minimum" in code and "maximum" in code


@pytest.mark.parametrize("target", TARGETS)
def test_clip_with_only_an_upper_bound_input(target):
    case = NodeCase("clip", "Clip", {"x": X, "lo": None, "hi": np.float32(1.0)})
    _, code = generate(build_model(case), target)
    assert "minimum" in code and "maximum" not in code


@pytest.mark.parametrize("target", TARGETS)
def test_isinf_with_neither_side_is_all_false(target):
    case = NodeCase("isinf", "IsInf", {"x": X}, attrs={"detect_positive": 0, "detect_negative": 0})
    _, code = generate(build_model(case), target)
    assert "zeros_like" in code and "isinf" not in code


def test_shared_rows_register_as_the_calling_module():
    registry = Registry("probe")
    unary_math(registry.register, "probe", {"float32"}, "porter.op_maps.probe.elementwise")
    ops = registry.ops()
    assert set(ops) == set(UNARY_MATH)
    sqrt = ops["Sqrt"][-1]
    assert sqrt.module == "elementwise" and sqrt.emit.__name__ == "sqrt" and sqrt.emit.__doc__ == "probe.sqrt"


def test_widening_computes_only_the_dtypes_a_target_s_kernels_lack_in_float32():
    """MindSpore's `widened`: bfloat16 Sub through float32 and cast back once, with a conversion warning;
    Add, whose CPU kernel takes bfloat16, as it is; float32 untouched."""
    half = X.astype(ml_dtypes.bfloat16)
    program, code = generate(build_model(NodeCase("sub", "Sub", {"a": half, "b": half})), "mindspore")
    assert "ops.cast(ops.cast(a, mindspore.float32) - ops.cast(b, mindspore.float32), mindspore.bfloat16)" in code
    assert any("bfloat16 computed through float32" in w for w in program.warnings)
    program, code = generate(build_model(NodeCase("add", "Add", {"a": half, "b": half})), "mindspore")
    assert "a + b" in code and "ops.cast" not in code and not program.warnings
    _, code = generate(build_model(NodeCase("sub", "Sub", {"a": X, "b": X})), "mindspore")
    assert "a - b" in code and "ops.cast" not in code


SCALAR_OPS = [("Mul", "*"), ("Add", "+"), ("Sub", "-"), ("Div", "/")]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("op_type", "symbol"), SCALAR_OPS)
@pytest.mark.parametrize("const_first", [False, True], ids=["x_op_c", "c_op_x"])
def test_a_float32_scalar_constant_is_a_python_literal(target, op_type, symbol, const_first):
    """`x * 0.35355338`, not a tensor built from a list on every call; the same numbers either side."""
    inputs = {"c": np.array([0.35355338], np.float32), "x": X} if const_first else {"x": X, "c": np.float32(0.125)}
    case = NodeCase(f"scalar_{op_type}", op_type, inputs, consts=("c",))
    _, code = generate(build_model(case), target)
    literal = "0.35355338" if const_first else "0.125"
    assert (f"{literal} {symbol} x" if const_first else f"x {symbol} {literal}") in code, code
    assert "to_tensor" not in code and "Tensor(" not in code, code
    check(case, target)


@pytest.mark.parametrize("target", TARGETS)
def test_a_scalar_exponent_is_a_python_literal(target):
    case = NodeCase("pow_scalar", "Pow", {"x": np.abs(X), "c": np.float32(2.0)}, consts=("c",))
    _, code = generate(build_model(case), target)
    assert "pow(x, 2.0)" in code, code
    check(case, target)


@pytest.mark.parametrize("target", TARGETS)
def test_a_scalar_constant_stays_a_tensor_where_a_literal_would_change_the_result(target):
    """Against a 0-d input, a [1] constant makes the result [1] (a literal would leave it 0-d); a float64
    constant stays a tensor too (a framework may round a Python scalar to float32)."""
    rank0 = NodeCase("rank0", "Mul", {"x": np.float32(3.0), "c": np.array([0.5], np.float32)}, consts=("c",))
    f64 = NodeCase("f64", "Mul", {"x": X.astype(np.float64), "c": np.float64(0.1)}, consts=("c",))
    for case in (rank0, f64):
        _, code = generate(build_model(case), target)
        assert "* 0.5" not in code and "* 0.1" not in code, code
        check(case, target)


@pytest.mark.parametrize("target", TARGETS)
def test_an_int64_scalar_constant_is_a_python_literal(target):
    """Shape arithmetic (`seq - 1`): an int64 tensor with a Python int stays int64 in both frameworks."""
    ints = np.array([[3, -4], [5, 7]], np.int64)
    case = NodeCase("sub_int", "Sub", {"x": ints, "c": np.array([1], np.int64)}, consts=("c",))
    _, code = generate(build_model(case), target)
    assert "x - 1\n" in code or "x - 1)" in code, code
    check(case, target)
    power = NodeCase("pow_int", "Pow", {"x": ints, "c": np.int64(2)}, consts=("c",))
    check(power, target)  # an integer power keeps its exact float64 path, the exponent a tensor


def test_paddle_compares_with_a_python_literal():
    case = NodeCase("eq_int", "Equal", {"x": np.array([1, 2, 1], np.int64), "c": np.int64(1)}, consts=("c",))
    _, code = generate(build_model(case), "paddle")
    assert "x == 1" in code, code
    check(case, "paddle")


@pytest.mark.parametrize("target", TARGETS)
def test_a_large_int64_constant_stays_a_tensor(target):
    """Paddle passes a Python int through a double: x + (2**53 + 1) would come out one less."""
    big = np.int64(2**53 + 1)
    case = NodeCase("add_big", "Add", {"x": np.array([2**40, 5], np.int64), "c": big}, consts=("c",))
    _, code = generate(build_model(case), target)
    assert f"x + {int(big)}" not in code, code
    check(case, target)


@pytest.mark.parametrize("target", TARGETS)
def test_where_takes_a_scalar_choice_as_a_python_literal(target):
    """Attention's `where(isnan(p), 0.0, p)`: one choice a literal beside a tensor of the same dtype; two
    constant choices stay tensors (two literals would leave the result's dtype to the framework's default)."""
    cond = np.array([[True, False], [False, True]])
    case = NodeCase("where_lit", "Where", {"m": cond, "c": np.float32(0.0), "x": X}, consts=("c",))
    _, code = generate(build_model(case), target)
    assert "where(m, 0.0, x)" in code, code
    check(case, target)
    both = NodeCase("where_two", "Where", {"m": cond, "a": np.float32(0.0), "b": np.float32(-1.0)}, consts=("a", "b"))
    _, code = generate(build_model(both), target)
    assert "where(m, 0.0, -1.0)" not in code, code
    check(both, target)
