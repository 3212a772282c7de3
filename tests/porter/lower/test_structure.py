"""Structured code generation: classes from the source's module tree, shared bodies, module lists in
loops, state_dict keys as the source's, single-use values inlined; numerics unchanged."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import porter
from porter.codegen.statements import Statement, render_all
from porter.lower.structure import inline_single_use
from porter.validators.tolerances import tolerance_for
from porter.validators.validate import validate
from tests.fresh_process import json_result
from tests.op_maps.harness import assert_matches_onnxruntime
from tests.porter.scoped_models import reshaped_linear, stacked_blocks, two_sized_conv1d

FACTORIES = Path(__file__).parents[1] / "frontends" / "torch_factories.py"
LIST = {"paddle": "nn.LayerList", "mindspore": "nn.CellList"}


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_repeated_blocks_become_one_class_in_a_loop(target):
    model = stacked_blocks(3)
    result = porter.convert(model, target)
    code = result.code
    assert code.count("class Block(") == 1 and "class Net(" in code
    assert f"self.blocks = {LIST[target]}([Block() for _ in range(3)])" in code
    assert "for block in self.blocks:" in code
    keys = {row["target"] for row in result.param_map}
    assert keys == {f"blocks.{i}.fc.{p}" for i in range(3) for p in ("weight", "bias")} | {"head.weight"}
    assert_matches_onnxruntime(model, target, (2, 8))


@pytest.mark.parametrize(("target", "layer"), [("paddle", "nn.Linear"), ("mindspore", "nn.Dense")])
def test_a_module_that_is_one_layer_among_reshapes_subclasses_it(target, layer):
    """GPT-2's Conv1D: the class is the layer, so its parameters keep the module's keys (proj.weight)."""
    model = reshaped_linear()
    result = porter.convert(model, target)
    assert f"class Conv1D({layer}):" in result.code and "self.layer" not in result.code
    assert f"super().{'forward' if target == 'paddle' else 'construct'}(" in result.code
    # the layer's sizes are the class's constructor arguments, as in a hand port
    sizes = "in_features, out_features" if target == "paddle" else "in_channels, out_channels"
    assert f"def __init__(self, {sizes}):" in result.code and "self.proj = Conv1D(8, 8" in result.code
    assert {row["target"] for row in result.param_map} == {"proj.weight", "proj.bias"}
    assert_matches_onnxruntime(model, target, (3, 4, 8))


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
@pytest.mark.parametrize("gemm", [False, True], ids=["in-out", "out-in"])
def test_a_module_holding_a_layer_and_a_parameter_of_its_own_subclasses_the_layer(target, gemm):
    """DeepSeek's router: its weight is a Linear's, beside a tensor of its own; the keys stay the module's.
    The layer is Paddle's nn.Linear or its PyTorch-layout paddle.compat.nn.Linear, as the weight is held."""
    model = reshaped_linear(scale=True, gemm=gemm)
    result = porter.convert(model, target)
    layer = "paddle.compat.nn.Linear" if gemm and target == "paddle" else "nn."
    assert f"class Conv1D({layer}" in result.code and "self.layer" not in result.code
    assert {row["target"] for row in result.param_map} == {"proj.weight", "proj.bias", "proj.scale"}
    assert_matches_onnxruntime(model, target, (3, 4, 8))


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_instances_of_a_layer_class_that_reshape_to_their_own_sizes_are_one_class(target):
    """GPT-2's Conv1D: each instance reshapes to its own width; read from self, they are the source's one class."""
    model = two_sized_conv1d()
    result = porter.convert(model, target)
    assert result.code.count("class Conv1D") == 1, result.code
    assert "Conv1D(8, 16)" in result.code and "Conv1D(16, 8)" in result.code
    sizes = {"paddle": "self.out_features", "mindspore": "self.out_channels"}[target]
    assert sizes in result.code
    assert_matches_onnxruntime(model, target, (3, 4, 8))


def test_code_does_not_grow_with_depth():
    lines = {depth: len(porter.convert(stacked_blocks(depth), "paddle").code.splitlines()) for depth in (2, 8)}
    assert lines[2] == lines[8]


def test_a_list_of_two_classes_in_runs_loops_over_the_run():
    """DeepSeek's decoder: a dense first layer, then MoE layers; the MoE run is a loop over its slice, so the
    code does not grow with depth."""
    codes = {}
    for depth in (4, 8):
        model = stacked_blocks(depth)
        for node in model.graph.node:  # blocks.0 is another class, with another activation
            scopes = {p.key: p for p in node.metadata_props}
            if "'blocks.0'" in scopes["pkg.torch.onnx.name_scopes"].value:
                hierarchy = scopes["pkg.torch.onnx.class_hierarchy"]
                hierarchy.value = hierarchy.value.replace("tests.Block", "tests.First", 1)
                if node.op_type == "Relu":
                    node.op_type = "Sigmoid"
        codes[depth] = porter.convert(model, "paddle").code
        assert "for block in self.blocks[1:]:" in codes[depth], codes[depth]
        assert "class First(" in codes[depth] and "class Block(" in codes[depth]
    assert len(codes[4].splitlines()) == len(codes[8].splitlines())
    assert_matches_onnxruntime(model, "paddle", (3, 8))


def test_without_metadata_the_code_stays_flat():
    code = porter.convert(stacked_blocks(2, metadata=False), "paddle").code
    assert code.count("class ") == 1 and "for block in" not in code


def test_inline_single_use_keeps_loops_and_shared_values():
    body = Statement.parse("a = x + 1\nb = f(a)\nc = g(b, a)\nfor m in self.ms:\n    d = m(c)")
    returns = ["d"]
    inline_single_use(body, returns)
    assert render_all(body) == ["a = x + 1", "c = g(f(a), a)", "for m in self.ms:", "    d = m(c)"]


def test_inlining_keeps_the_order_of_operations():
    body = Statement.parse("s = a + b\nt = s * c\nu = -t")
    returns = ["u"]
    inline_single_use(body, returns)
    assert render_all(body) == [] and returns == ["-((a + b) * c)"]


def _state_dict_keys(code: str) -> dict:
    return json_result(code)


_TORCH_KEYS = """
import json, importlib.util, sys
spec = importlib.util.spec_from_file_location("factories", {path!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model, _ = mod.tiny_encoder()
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(json.dumps({{"keys": {{k: list(v.shape) for k, v in model.state_dict().items()}}, "trainable": trainable}}))
"""
_PORT_KEYS = {
    "paddle": """
import json, importlib.util
spec = importlib.util.spec_from_file_location("port", {path!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model = mod.load_model()
trainable = sum(int(p.size) for p in model.parameters() if not p.stop_gradient)
print(json.dumps({{"keys": {{k: list(v.shape) for k, v in model.state_dict().items()}}, "trainable": trainable}}))
""",
    "mindspore": """
import json, importlib.util, sys
import mindspore
spec = importlib.util.spec_from_file_location("port", {path!r})
mod = importlib.util.module_from_spec(spec); sys.modules["port"] = mod; spec.loader.exec_module(mod)
model = mod.load_model()
trainable = sum(int(p.size) for p in model.trainable_params())
print(json.dumps({{"keys": {{p.name: list(p.shape) for p in model.get_parameters()}}, "trainable": trainable}}))
""",
}
# MindSpore layers name their own parameters (documented in docs/structure.md)
_MINDSPORE_NAMES = {"norm.weight": "norm.gamma", "norm.bias": "norm.beta", "embed.weight": "embed.embedding_table"}


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_torch_module_tree_names_and_parity(tmp_path, target):
    out = tmp_path / "out"
    porter.convert(f"{FACTORIES}:tiny_encoder", target, out, dynamic=["batch", "seq"])
    code = (out / "model.py").read_text()
    assert "class EncoderBlock(" in code and "class TinyEncoder(" in code and code.count("class ") == 2
    assert "for block in self.blocks:" in code and "gelu(" in code and "erf" not in code
    for attr in ("self.norm = ", "self.fc1 = ", "self.fc2 = ", "self.embed = ", "self.head = "):
        assert attr in code, attr
    torch_side = _state_dict_keys(_TORCH_KEYS.format(path=str(FACTORIES)))
    port_side = _state_dict_keys(_PORT_KEYS[target].format(path=str(out / "model.py")))
    expected = torch_side["keys"]
    if target == "mindspore":
        expected = {_rename(k): v for k, v in expected.items()}
    assert set(port_side["keys"]) == set(expected)
    assert port_side["keys"] == expected  # shapes too: Linear weights are held [out, in] on both targets
    assert port_side["trainable"] == torch_side["trainable"]
    from porter.validators.validate import validate

    report = validate(out)
    assert report["passed"], report


_TORCH_WEIGHT_NORMED_KEYS = _TORCH_KEYS.replace("mod.tiny_encoder()", "mod.weight_normed()")
_DICT = {"paddle": "nn.LayerDict", "mindspore": "nn.CellDict"}
_EXPORTS = {"paddle": "inference", "mindspore": "mindir"}


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_weight_norm_and_an_unread_parameter_keep_torchs_keys(tmp_path, target):
    """wav2vec2's positional conv: weight_norm's g and v live on torch's ParametrizationList, held in a
    ModuleDict, which the port writes as the framework's dict of layers; the weight is computed from them at
    run time, not folded; a parameter the forward never reads is declared all the same. The keys, shapes and
    trainable size are torch's, and the port compiles (paddle.inference / MindIR, GRAPH_MODE)."""
    out = tmp_path / "out"
    result = porter.convert(
        f"{FACTORIES}:weight_normed", target, out, dynamic=["batch", "seq"], export=_EXPORTS[target]
    )
    code = result.code
    assert f"self.parametrizations = {_DICT[target]}({{'weight': ParametrizationList()}})" in code, code
    assert "self.parametrizations['weight']()" in code and "self.masked_spec_embed = " in code
    torch_side = _state_dict_keys(_TORCH_WEIGHT_NORMED_KEYS.format(path=str(FACTORIES)))
    port_side = _state_dict_keys(_PORT_KEYS[target].format(path=str(out / "model.py")))
    expected = torch_side["keys"]
    if target == "mindspore":  # the Linear is nn.Dense, which names its tensors as torch does
        assert set(port_side["keys"]) == set(expected), (port_side, expected)
    assert port_side == torch_side
    assert all(check["passed"] for check in result.export["checks"]), result.export
    verdict = validate(out)
    assert verdict["passed"], verdict


# A fine-tuned torch checkpoint (the same architecture, other weights) and torch's outputs with it
_TORCH_TUNED = """
import importlib.util, sys, numpy as np, torch
spec = importlib.util.spec_from_file_location("factories", {path!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model, (ids,) = mod.tiny_encoder()
with torch.no_grad():
    for p in model.parameters():
        p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())) * 0.1)
    out = model(ids)
np.savez(sys.argv[1], **{{k: v.numpy() for k, v in model.state_dict().items()}})
torch.save(model.state_dict(), sys.argv[1] + ".pt")
np.savez(sys.argv[2], ids=ids.numpy(), out=out.numpy())
"""
_PADDLE_TUNED = """
import importlib.util, sys, numpy as np, paddle
spec = importlib.util.spec_from_file_location("port", {path!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model = mod.load_model()
with np.load(sys.argv[1]) as state:
    missing, unexpected = model.set_state_dict({{k: state[k] for k in state.files}})
assert not missing and not unexpected, (missing, unexpected)
with np.load(sys.argv[2]) as io:
    got = model(paddle.to_tensor(io["ids"])).numpy()
    print(float(np.abs(got - io["out"]).max()), float(np.abs(io["out"]).max()))
"""


def test_instances_fed_a_view_and_a_tensor_are_one_class(tmp_path):
    """Paddle copies a view before reshaping it, judged inside the module: a copy chosen by what the caller
    passed in would make two instances of one source class read differently (two classes)."""
    out = tmp_path / "out"
    result = porter.convert(f"{FACTORIES}:view_fed", "paddle", out)
    classes = [line.split("(")[0][6:] for line in result.code.splitlines() if line.startswith("class ")]
    assert classes == ["Flattening", "ViewFed"], result.code
    verdict = validate(out)
    assert verdict["passed"], verdict


def _torch_fine_tune(tmp_path) -> tuple[Path, Path]:
    """torch's tiny encoder, its parameters moved (a fine-tune): (its state_dict as .npz, inputs and outputs);
    the same state_dict is also torch.save'd beside the .npz (`state.npz.pt`)."""
    state, io = tmp_path / "state.npz", tmp_path / "io.npz"
    torch_side = [sys.executable, "-c", _TORCH_TUNED.format(path=str(FACTORIES)), str(state), str(io)]
    proc = subprocess.run(torch_side, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return state, io


def _assert_port_gives_torchs_outputs(model_py: Path, state: Path, io: Path) -> None:
    """The Paddle port, `state` loaded with set_state_dict as it is, computes torch's outputs."""
    port_side = [sys.executable, "-c", _PADDLE_TUNED.format(path=str(model_py)), str(state), str(io)]
    proc = subprocess.run(port_side, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    error, scale = map(float, proc.stdout.split()[-2:])
    tol = tolerance_for("float32")
    assert error <= tol.atol + tol.rtol * scale, (error, scale)


def test_torchs_own_checkpoint_loads_into_the_paddle_port_as_it_is(tmp_path):
    # the done-means of a port an engineer keeps: torch's state_dict goes into set_state_dict unchanged
    out = tmp_path / "out"
    porter.convert(f"{FACTORIES}:tiny_encoder", "paddle", out, dynamic=["batch", "seq"])
    state, io = _torch_fine_tune(tmp_path)
    _assert_port_gives_torchs_outputs(out / "model.py", state, io)


def test_a_framework_layout_port_takes_torchs_checkpoint_through_porter_weights(tmp_path):
    """--linear-layout framework: nn.Linear holds [in, out]; `porter weights` transposes torch's own
    fine-tuned checkpoint by report.json's map, and the port then gives torch's outputs."""
    from porter.weights import convert_checkpoint

    out = tmp_path / "out"
    result = porter.convert(f"{FACTORIES}:tiny_encoder", "paddle", out, linear_layout="framework")
    assert "nn.Linear(" in result.code and "compat" not in result.code, result.code
    state, io = _torch_fine_tune(tmp_path)
    tuned = tmp_path / "tuned.npz"
    convert_checkpoint(state.with_name("state.npz.pt"), out / "report.json", tuned)
    _assert_port_gives_torchs_outputs(out / "model.py", tuned, io)


def _rename(key: str) -> str:
    for suffix, new in _MINDSPORE_NAMES.items():
        if key.endswith(suffix):
            return key[: -len(suffix)] + new
    return key


TORCH_MODULES = Path(__file__).parent / "torch_modules.py"


def _classes(code: str) -> list[str]:
    return [line.split("(")[0][6:] for line in code.splitlines() if line.startswith("class ")]


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_one_source_class_holding_either_child_class_is_one_class(tmp_path, target):
    """DeepSeek-V3's decoder layer holds an MLP in its first layer and an MoE in the others: one class whose
    constructor takes the choice, in one loop; every module reads its sizes from its own input, so no class
    takes the model's input ids for them; the code does not grow with depth and the keys stay torch's."""
    codes = {}
    for factory in ("tiny_moe", "tiny_moe_deep"):
        out = tmp_path / factory
        codes[factory] = porter.convert(f"{TORCH_MODULES}:{factory}", target, out, dynamic=["batch", "seq"]).code
    code = codes["tiny_moe"]
    assert _classes(code) == ["Mixer", "DenseMLP", "SparseMLP", "MixedLayer", "TinyMoE"], code
    assert "self.mlp = SparseMLP() if sparse else DenseMLP()" in code, code
    assert "for layer in self.layers:" in code
    assert "MixedLayer(sparse=i >= 1) for i in range(2)" in code
    classes = code[code.index("class Mixer") : code.index("class TinyMoE")]
    assert "ids" not in classes  # the model's input is read only where it is passed: sizes are the modules' own
    assert len(code.splitlines()) == len(codes["tiny_moe_deep"].splitlines())
    verdict = validate(tmp_path / "tiny_moe")
    assert verdict["passed"], verdict
    if target == "paddle":  # torch's keys (MindSpore's layers name some of theirs their own way)
        with np.load(tmp_path / "tiny_moe" / "model.npz") as weights:
            keys = set(weights.files)
        assert {"layers.0.mlp.fc1.weight", "layers.1.mlp.experts.1.weight", "layers.1.mixer.proj.bias"} <= keys
