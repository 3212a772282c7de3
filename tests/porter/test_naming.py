import keyword

import pytest

from porter.naming import Namer, identifier


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("x", "x"),
        ("onnx::MatMul_123", "onnx_MatMul_123"),
        ("/layer1/conv/Conv_output_0", "layer1_conv_Conv_output_0"),
        ("1abc", "v_1abc"),
        ("class", "class_"),
        ("paddle", "paddle_"),
        ("", "v"),
    ],
)
def test_identifier(raw, expected):
    assert identifier(raw) == expected


def test_identifier_is_always_valid():
    for raw in ['x"); __import__("os")', "\n\t", "名字", "a" * 200, "__init__", "lambda", "self"]:
        name = identifier(raw)
        assert name.isidentifier() and not keyword.iskeyword(name) and name not in ("self", "__init__")


def test_namer_deduplicates():
    namer = Namer()
    assert [namer.fresh("a"), namer.fresh("a"), namer.fresh("a")] == ["a", "a_1", "a_2"]
