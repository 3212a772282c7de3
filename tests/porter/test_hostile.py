"""Hostile names and strings in a model never become code: the generated module imports, runs and
does nothing but compute, on every target (checked with an audit hook while it runs)."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import porter
from tests.fresh_process import json_result

INJECTIONS = [
    'x"); __import__("os").system("touch PWNED") #',
    "y\nimport os\nos.system('touch PWNED')",
    "'''; import os; os.system(\"touch PWNED\"); '''",
    "\\\"); exec('import os') #",
    "print",
    "paddle",
    "mindspore",
    "nn",
    "ops",
    "np",
    "os",
    "self",
    "load_model",
    "None",
    "a.b",
    "a_b",
    "\u202etxt.exe\u200b",
    "名前",
    "x" * 300,
    "1st",
    "__class__",
]


def hostile_model() -> onnx.ModelProto:
    """x -> Mul(weight) -> Add(bias) -> Relu -> Identity chain, every name an injection attempt."""
    names = iter(INJECTIONS)
    x, w, b = next(names), next(names), next(names)
    mids = [next(names) for _ in range(3)]
    y = next(names)
    nodes = [
        helper.make_node("Mul", [x, w], [mids[0]], name=next(names), doc_string="'''; os.system('rm -rf /') '''"),
        helper.make_node("Add", [mids[0], b], [mids[1]], name=next(names)),
        helper.make_node("Relu", [mids[1]], [mids[2]], name=next(names)),
        helper.make_node("Identity", [mids[2]], [y], name=next(names)),
    ]
    rng = np.random.default_rng(0)
    graph = helper.make_graph(
        nodes,
        '"""\nimport os; os.system(\'touch PWNED\')\n"""',
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [next(names), 4])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, [None, 4])],
        initializer=[
            numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), w),
            numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), b),
        ],
        doc_string="\nimport os\nos.system('touch PWNED')",
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="evil\nimport os")
    model.ir_version = 8
    return model


RUNNER = r"""
import importlib.util, json, sys
import numpy as np
from porter.targets import get_target

target, out_dir, x_path = sys.argv[1:4]
runtime = get_target(target).load_runtime()
runtime.prepare("cpu")
events = []
phase = ["import"]
FORBIDDEN = ("os.system", "subprocess.Popen", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "socket.",
             "os.remove", "os.unlink", "os.rmdir", "shutil.rmtree", "os.rename", "ctypes.dlopen")
def hook(event, args):
    if event.startswith(FORBIDDEN):
        events.append(event)
    elif event == "open" and isinstance(args[1], str) and any(m in args[1] for m in "wax+"):
        events.append(f"open-for-write {args[0]}")
    elif event == "exec":
        # allowed: the module's own code on import, and lazy imports of installed modules; never a string
        filename = getattr(args[0], "co_filename", "<string>")
        installed = filename.startswith((sys.base_prefix, sys.prefix)) and filename.endswith(".py")
        if not (installed or (phase[0] == "import" and filename == out_dir + "/model.py")):
            events.append(f"exec {filename}")
    elif event == "compile":
        source, filename = args
        own_module = filename == out_dir + "/model.py"
        npy_header = isinstance(source, bytes) and source.startswith(b"{'descr'")  # np.load's literal_eval
        if not (own_module or npy_header):
            events.append(f"compile {filename}")
spec = importlib.util.spec_from_file_location("generated", out_dir + "/model.py")
module = importlib.util.module_from_spec(spec)
sys.addaudithook(hook)
spec.loader.exec_module(module)
phase[0] = "run"
y = runtime.run(module.load_model(), [np.load(x_path)])[0]
print(json.dumps({"events": sorted(set(events)), "y": y.tolist()}))
"""


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_hostile_model_converts_to_code_that_only_computes(target, tmp_path):
    model = hostile_model()
    out = tmp_path / "out"
    porter.convert(model, target, out)
    code = (out / "model.py").read_text()
    for needle in ("__import__", "system(", "exec(", "import os;", "touch PWNED", "rm -rf", "\u202e", "'" * 3, '"' * 3):
        assert needle not in code, needle
    compile(code, "model.py", "exec")
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    result = json_result(RUNNER, target, out, tmp_path / "x.npy", cwd=tmp_path)
    assert result["events"] == []
    assert not list(tmp_path.glob("PWNED*"))
    expected = ort.InferenceSession(model.SerializeToString()).run(None, {INJECTIONS[0]: x})[0]
    np.testing.assert_allclose(np.array(result["y"], np.float32), expected, rtol=1e-6, atol=1e-6)
