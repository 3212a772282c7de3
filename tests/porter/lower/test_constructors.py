"""porter.lower.constructors: instances of one source class that differ only in constructor literals are one
class taking them as arguments."""

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import porter
from porter.codegen.statements import Statement, render_all
from porter.lower.constructors import merge_by_constructor
from porter.lower.structure import ClassDef
from tests.op_maps.harness import assert_matches_onnxruntime
from tests.porter.scoped_models import scoped


def _block(name: str, width: int, out: int, forward: str = "return self.norm(self.fc(x))") -> ClassDef:
    init = Statement.parse(f"self.fc = nn.Linear({width}, {out})\nself.norm = nn.LayerNorm({out}, epsilon=1e-05)")
    return ClassDef(name, init, ["x"], [], [forward.split("return ")[1]], source_class="Block")


def test_literals_that_differ_become_arguments_and_every_call_passes_its_own():
    classes = [_block("Block", 8, 16), _block("Block2", 16, 32)]
    root = Statement.parse("self.a = Block()\nself.b = Block2()")
    merge_by_constructor(classes, root)
    assert [c.name for c in classes] == ["Block"]
    assert classes[0].init_params == ["in_features", "out_features"]
    # the norm's width is the Linear's out_features in every instance: one argument, not two
    assert render_all(classes[0].init_body) == [
        "self.fc = nn.Linear(in_features, out_features)",
        "self.norm = nn.LayerNorm(out_features, epsilon=1e-05)",
    ]
    assert render_all(root) == ["self.a = Block(8, 16)", "self.b = Block(16, 32)"]


def _conv(name: str, width: int, stride: int, kernel: int = 3) -> ClassDef:
    init = Statement.parse(f"self.conv = nn.Conv2D({width}, {width}, kernel_size=[{kernel}, {kernel}], stride=[{stride}, {stride}])")  # fmt: skip
    return ClassDef(name, init, ["x"], [], ["self.conv(x)"], source_class="ConvLayer")


def test_a_literal_most_calls_pass_is_the_arguments_default():
    """ResNet's conv layers: kernel 3 in two calls of three is the default, written as a tuple; stride differs
    in every call and keeps no default; the calls leave out what equals the default."""
    classes = [_conv("ConvLayer", 4, 1), _conv("ConvLayer2", 8, 2), _conv("ConvLayer3", 16, 4, kernel=7)]
    root = Statement.parse("self.a = ConvLayer()\nself.b = ConvLayer2()\nself.c = ConvLayer3()")
    merge_by_constructor(classes, root)
    assert [c.name for c in classes] == ["ConvLayer"]
    assert classes[0].init_params == ["in_channels", "out_channels", "stride", "kernel_size"]
    assert classes[0].defaults == {"kernel_size": "(3, 3)"}
    assert render_all(root) == [
        "self.a = ConvLayer(4, 4, stride=[1, 1])",
        "self.b = ConvLayer(8, 8, stride=[2, 2])",
        "self.c = ConvLayer(16, 16, kernel_size=[7, 7], stride=[4, 4])",
    ]


def test_a_different_forward_keeps_the_classes_apart():
    classes = [_block("Block", 8, 16), _block("Block2", 16, 32, "return self.fc(x)")]
    root = Statement.parse("self.a = Block()\nself.b = Block2()")
    merge_by_constructor(classes, root)
    assert [c.name for c in classes] == ["Block", "Block2"] and render_all(root) == ["self.a = Block()", "self.b = Block2()"]  # fmt: skip


def _two_blocks():
    """blocks.0 (Linear 8 -> 16, ReLU) and blocks.1 (Linear 16 -> 4, ReLU): one torch class, two widths."""
    rng = np.random.default_rng(3)
    nodes, inits, h = [], [], "x"
    for i, (n_in, n_out) in enumerate(((8, 16), (16, 4))):
        block, fc = (f"blocks.{i}", "tests.Block"), (f"blocks.{i}.fc", "torch.nn.modules.linear.Linear")
        nodes += [
            scoped(
                helper.make_node("Gemm", [h, f"blocks.{i}.fc.weight", f"blocks.{i}.fc.bias"], [f"fc{i}"], transB=1),
                [block, fc],
                "linear",
            ),  # fmt: skip
            scoped(helper.make_node("Relu", [f"fc{i}"], [f"relu{i}"]), [block], "relu"),
        ]
        inits += [
            numpy_helper.from_array(rng.standard_normal((n_out, n_in)).astype(np.float32), f"blocks.{i}.fc.weight"),
            numpy_helper.from_array(rng.standard_normal(n_out).astype(np.float32), f"blocks.{i}.fc.bias"),
        ]
        h = f"relu{i}"
    nodes[-1].output[0] = "y"
    graph = helper.make_graph(
        nodes,
        "Net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_blocks_of_two_widths_are_one_class_and_compute_the_source(target):
    model = _two_blocks()
    result = porter.convert(model, target)
    assert result.code.count("class Block") == 1, result.code
    assert "Block(8, 16)" in result.code and "Block(16, 4)" in result.code
    assert {row["target"] for row in result.param_map} == {f"blocks.{i}.fc.{p}" for i in (0, 1) for p in ("weight", "bias")}  # fmt: skip
    assert_matches_onnxruntime(model, target, (3, 8))


TORCH_MODULES = Path(__file__).parent / "torch_modules.py"


def _convert_and_validate(tmp_path, factory: str, target: str) -> str:
    """model.py of the port of a torch module, after checking its outputs against torch's."""
    from porter.validators.validate import validate

    out = tmp_path / "out"
    porter.convert(f"{TORCH_MODULES}:{factory}", target, out, dynamic=["batch"])
    report = validate(out)
    assert report["passed"], report
    return (out / "model.py").read_text()


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_blocks_whose_widths_reach_a_parameter_shape_are_one_class(tmp_path, target):
    """ConvNeXt's blocks and DeepSeek's RMSNorms: the width is in a parameter's shape (and a depthwise conv's
    groups, and a Linear's 4 * dim); ConvNeXt's stages: downsampling layers or none. One class each, as in
    the source."""
    code = _convert_and_validate(tmp_path, "two_widths", target)
    assert code.count("class Block(") == 1 and code.count("class RMSNorm(") == 1, code
    assert "class Block2" not in code and "class RMSNorm2" not in code
    # each stage passes its width on to its block
    assert "Stage(4, 4, downsampling_layer=False)" in code and "Stage(8, 8, downsampling_layer=True)" in code
    assert "Block(in_channels, out_channels)" in code
    groups = {"paddle": "groups", "mindspore": "group"}[target]  # the depthwise conv's groups: its width too
    assert "4 * out_channels" in code and f"{groups}=out_channels" in code
    assert "RMSNorm(in_channels)" not in code and "def __init__(self, dim):" in code
    # the stage without downsampling holds an empty list, and the forward loops over it as the source does
    assert code.count("class Stage(") == 1 and "for layer in self.downsampling_layer:" in code
    assert "if downsampling_layer else [])" in code
    assert code.count("class ") == 4  # Block, RMSNorm, Stage, TwoWidths


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_an_optional_activation_and_shortcut_are_constructor_choices(tmp_path, target):
    """ResNet: a conv layer without activation and a basic layer without shortcut hold nn.Identity() in the
    source; the port is one class each, whose forward calls the sub-module unconditionally."""
    code = _convert_and_validate(tmp_path, "tiny_resnet", target)
    for name in ("ConvLayer", "BasicLayer", "ShortCut", "TinyResNet"):
        assert code.count(f"class {name}(") == 1, code
    assert code.count("class ") == 4, code
    assert "self.activation = nn.ReLU() if activation else nn.Identity()" in code
    assert "self.shortcut = ShortCut() if shortcut else nn.Identity()" in code
    assert "activation=False" in code and "shortcut=False" in code and "shortcut=True" in code
