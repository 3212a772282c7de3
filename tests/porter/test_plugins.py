"""porter/plugins.py: users' own mappings and torch.onnx translations, loaded only from what the user names."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnx
import onnx.defs
import pytest
from onnx import TensorProto, helper

import porter
from porter import plugins
from porter.errors import EXIT_USAGE, InvalidModel, UnsupportedOp
from porter.frontends import torch_translations
from porter.targets import get_target, target_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def isolated(monkeypatch):
    """Registrations made in a test are undone after it: the registries, the translation table, onnx's
    schemas and the loaded-plugin list are the process's, and other tests (docs/operators.md) read them."""
    monkeypatch.setenv(plugins.ENV_VAR, "")  # recorded as absent (or its value), so it is restored after
    monkeypatch.delenv(plugins.ENV_VAR)
    for target in target_names():
        registry = get_target(target).registry
        monkeypatch.setattr(registry, "_table", dict(registry._table))
        monkeypatch.setattr(registry, "_by_device", dict(registry._by_device))
    monkeypatch.setattr(torch_translations, "_TABLE", dict(torch_translations._TABLE))
    monkeypatch.setattr(plugins, "_loaded", [])
    monkeypatch.setattr(plugins, "_configured", True)  # no entry points of this environment
    defined = len(plugins._defined)
    yield
    for op_type, since, domain in plugins._defined[defined:]:
        onnx.defs.deregister_schema(op_type, since, domain)
    del plugins._defined[defined:]


def _custom_model(domain: str, op_type: str = "Twice", **attrs) -> onnx.ModelProto:
    nodes = [
        helper.make_node(op_type, ["x"], ["y"], name="custom", domain=domain, **attrs),
        helper.make_node("Relu", ["y"], ["z"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 3])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(domain, 1)])


def _write_plugin(path: Path, domain: str, body: str = "") -> Path:
    path.write_text(
        textwrap.dedent(
            f"""
            from porter import plugins

            plugins.define_op({domain!r}, "Twice", inputs=["X"], outputs=["Y"], attributes={{"scale": "float", "mode": "string"}})


            @plugins.mapping("paddle", "Twice", domain={domain!r})
            def twice(n):
                '''X * scale'''
                return f"{{n.x(0)}} * {{n.lit(float(n.attr('scale', 2.0)))}}"
            """
        )
        + textwrap.dedent(body)
    )
    return path


def porter_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "porter.cli", *map(str, args)], capture_output=True, text=True, timeout=300, env=env
    )


def test_a_plugin_maps_a_custom_domain_op_with_the_same_checks(isolated, tmp_path):
    plugin = _write_plugin(tmp_path / "twice.py", "test.twice")
    assert plugins.load([plugin]) == [str(plugin.resolve())]
    code = porter.generate(_custom_model("test.twice", scale=3.0), "paddle")[1]
    assert "x * 3.0" in code
    # an attribute the mapping does not read is refused, as for porter's own tables; one the schema does
    # not declare makes the model invalid
    with pytest.raises(UnsupportedOp, match="attribute.*mode.*not handled"):
        porter.generate(_custom_model("test.twice", mode="fast"), "paddle")
    with pytest.raises(InvalidModel, match="Unrecognized attribute: speed"):
        porter.generate(_custom_model("test.twice", speed=1), "paddle")
    # mapped for paddle only: mindspore refuses it and says where mappings come from
    with pytest.raises(UnsupportedOp, match=r"no mindspore mapping.*--plugin.*docs/plugins.md"):
        porter.generate(_custom_model("test.twice"), "mindspore")


def test_loading_is_once_per_plugin_and_reaches_subprocesses(isolated, tmp_path):
    import os

    plugin = _write_plugin(tmp_path / "twice.py", "test.once")
    plugins.load([plugin])
    assert plugins.load([str(plugin)]) == []  # a second load of the same file registers nothing twice
    assert os.environ[plugins.ENV_VAR] == str(plugin.resolve())  # porter's subprocesses inherit it


def test_porter_convert_takes_plugins(isolated, tmp_path):
    plugin = _write_plugin(tmp_path / "twice.py", "test.api")
    result = porter.convert(_custom_model("test.api"), "paddle", tmp_path / "out", plugins=[plugin])
    (mapping,) = [r["mapping"] for r in result.ops if r["op_type"] == "Twice"]
    assert mapping.startswith("porter_plugin_twice") and mapping.endswith(".twice")  # the plugin's file and function
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["plugins"] == [str(plugin.resolve())]


def test_without_a_plugin_a_custom_domain_is_refused_with_the_pointer(isolated):
    with pytest.raises(UnsupportedOp, match=r"domain 'test.absent'.*--plugin.*docs/plugins.md"):
        porter.generate(_custom_model("test.absent"), "paddle")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plugins.define_op("", "Relu2", inputs=["X"], outputs=["Y"]), "not a custom domain"),
        (lambda: plugins.define_op("ai.onnx.ml", "X", inputs=["X"], outputs=["Y"]), "not a custom domain"),
        (lambda: plugins.define_op("test.bad", "1x", inputs=["X"], outputs=["Y"]), "not an operator name"),
        (lambda: plugins.define_op("test.bad", "Op", inputs=["X"], outputs=[]), "one output at least"),
        (
            lambda: plugins.define_op("test.bad", "Op", inputs=["X"], outputs=["Y"], attributes={"k": "complex"}),
            "attribute 'k' has type 'complex'",
        ),
        (lambda: plugins.mapping("tensorflow", "Relu"), "unknown target 'tensorflow'"),
        (lambda: plugins.mapping("paddle", "Relu", versions=[14])(lambda n: "x"), "registered twice"),
        (lambda: plugins.mapping("paddle", "Nope", domain="test.undeclared")(lambda n: "x"), "define_op"),
        (lambda: plugins.mapping("paddle", "Relu", versions=[7])(lambda n: "x"), "not a schema version"),
        (lambda: plugins.mapping("paddle", "Abs", versions=[13])(lambda: "x"), "takes one argument"),
        (lambda: plugins.torch_translation("no_namespace"), "not 'namespace::op'"),
        (
            lambda: plugins.torch_translation("transformers::grouped_mm_fallback"),
            "already has a translation",
        ),
    ],
)
def test_malformed_registrations_are_refused(isolated, call, message):
    with pytest.raises(plugins.PluginError, match=message) as info:
        call()
    assert info.value.exit_code == EXIT_USAGE


def test_a_custom_op_is_declared_once(isolated):
    plugins.define_op("test.twice_defined", "Op", inputs=["X"], outputs=["Y"])
    with pytest.raises(plugins.PluginError, match="already defined"):
        plugins.define_op("test.twice_defined", "Op", inputs=["X"], outputs=["Y"])


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.py", r"missing.py: no such file"),
        ("x = 1\n", "maps.txt", r"not a Python file"),
        ("def broken(:\n", "broken.py", r"broken.py failed to import: SyntaxError"),
        ("import no_such_module_for_porter\n", "imports.py", r"ModuleNotFoundError.*\(imports.py, line 1\)"),
        (
            "from porter import plugins\n\nplugins.mapping('paddle', 'NotAnOnnxOp')(lambda n: 'x')\n",
            "unknown.py",
            r"unknown.py: mapping for paddle: onnx defines no operator ai.onnx::NotAnOnnxOp \(unknown.py, line 3\)",
        ),
    ],
)
def test_bad_plugin_files_name_the_file_and_the_problem(isolated, tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(plugins.PluginError, match=message):
        plugins.load([path])
    assert plugins.loaded() == []


def test_a_module_that_is_not_installed_is_refused(isolated):
    with pytest.raises(plugins.PluginError, match="no_such_plugin_module: no such module"):
        plugins.load(["no_such_plugin_module"])
    with pytest.raises(plugins.PluginError, match="neither an existing .py file nor a module name"):
        plugins.load(["not a module"])


def test_cli_loads_plugins_and_lists_their_ops(tmp_path):
    plugin = _write_plugin(tmp_path / "twice.py", "test.cli")
    proc = porter_cli("ops", "--to", "paddle", "--format", "json", "--plugin", plugin)
    assert proc.returncode == 0, proc.stderr
    custom = json.loads(proc.stdout)["custom"]
    assert custom == [
        {"op_type": "test.cli::Twice", "versions": [1], "targets": {"paddle": [1]}, "mapping": {"paddle": "X * scale"}}
    ]
    onnx.save(_custom_model("test.cli"), tmp_path / "m.onnx")
    assert porter_cli("inspect", tmp_path / "m.onnx", "--plugin", plugin).returncode == 0
    blocked = porter_cli("inspect", tmp_path / "m.onnx")
    assert blocked.returncode == 2 and "--plugin FILE.py (docs/plugins.md)" in blocked.stdout


def test_cli_refuses_a_bad_plugin_with_exit_3(tmp_path):
    onnx.save(_custom_model("test.cli"), tmp_path / "m.onnx")
    proc = porter_cli("convert", tmp_path / "m.onnx", "-o", tmp_path / "out", "--plugin", tmp_path / "nope.py")
    assert proc.returncode == EXIT_USAGE and "nope.py: no such file" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_an_installed_package_entry_point_is_loaded_automatically(tmp_path):
    _write_plugin(tmp_path / "porter_test_entry_plugin.py", "test.entry")
    info = tmp_path / "porter_test_entry_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: porter-test-entry-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{plugins.ENTRY_POINT_GROUP}]\ntwice = porter_test_entry_plugin\n")
    import os

    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = porter_cli("ops", "--to", "paddle", "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert [r["op_type"] for r in json.loads(proc.stdout)["custom"]] == ["test.entry::Twice"]
    (tmp_path / "porter_test_entry_plugin.py").write_text("raise RuntimeError('half installed')\n")
    broken = porter_cli("ops", "--to", "paddle", env=env)
    assert broken.returncode == EXIT_USAGE
    assert (
        "entry point twice = porter_test_entry_plugin failed to import: RuntimeError: half installed" in broken.stderr
    )


def test_a_plugin_op_runs_in_the_generated_code(isolated, tmp_path):
    from tests.op_maps.harness import run_target

    _write_plugin(tmp_path / "twice.py", "test.run")
    plugins.load([tmp_path / "twice.py"])
    x = np.array([[-1.0, 0.5, 2.0]], np.float32)
    (out,) = run_target(_custom_model("test.run", scale=3.0), "paddle", [[x]])[0]
    np.testing.assert_allclose(out, np.maximum(x * 3.0, 0.0), rtol=0, atol=0)


def test_porter_workers_load_the_plugins_of_their_parent(isolated, tmp_path):
    from porter.workers import run_isolated

    plugins.load([_write_plugin(tmp_path / "twice.py", "test.worker")])
    (outcome,) = run_isolated([("ops", ["paddle"])], "porter.support:coverage", jobs=1)
    assert outcome.ok, outcome.error
    assert [r["op_type"] for r in outcome.value["custom"]] == ["test.worker::Twice"]
