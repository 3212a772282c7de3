"""Configuration: [tool.porter] / porter.toml, checked against schema.json, errors naming file and key."""

import json

import pytest

from porter.check.config import ConfigError, check_schema, find_config, load_config, load_schema
from porter.errors import EXIT_USAGE
from porter.targets import target_names
from porter.validators.profiles import SHIPPED

GOOD = """
targets = ["paddle", "mindspore"]
[models.classifier]
source = "models/classifier.onnx"
[models.encoder]
source = "models/encoder.onnx"
targets = ["paddle"]
devices = ["cpu", "npu"]
seed = 3
"""


def test_items_are_model_x_target_x_device_with_inherited_defaults(project):
    config = load_config(project(GOOD))
    assert [i.id for i in config.items] == [
        "classifier/paddle/cpu",
        "classifier/mindspore/cpu",
        "encoder/paddle/cpu",
        "encoder/paddle/npu",
    ]
    encoder = config.models[1]
    assert encoder.seed == 3 and encoder.profile is None and encoder.against is None
    assert config.cache_dir == config.root / ".porter-cache" and config.baseline is None
    payload = config.items[0].payload(str(config.root))
    assert payload["source"] == "models/classifier.onnx" and payload["root"] == str(config.root)


def test_pyproject_tool_porter_is_found_from_a_subdirectory(project, tmp_path):
    body = GOOD.replace("[models.", "[tool.porter.models.").replace('targets = ["paddle", "mindspore"]', "")
    path = project("[project]\nname = 'x'\n" + body, name="pyproject.toml")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    assert find_config(tmp_path / "sub" / "deeper") == path
    config = load_config(None, cwd=tmp_path / "sub" / "deeper")
    assert [m.name for m in config.models] == ["classifier", "encoder"]


def test_pyproject_without_tool_porter_is_a_usage_error(project):
    with pytest.raises(ConfigError, match=r"pyproject.toml: no \[tool.porter\] table") as info:
        load_config(project("[project]\nname = 'x'\n", name="pyproject.toml"))
    assert info.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[models.m]\nsorce = "models/classifier.onnx"\n', r"models.m: missing required key 'source'"),
        (
            '[models.m]\nsource = "models/classifier.onnx"\ntarget = ["paddle"]\n',
            r"models.m: unknown key 'target' \(allowed: source, against, targets",
        ),
        (
            'targets = ["padle"]\n[models.m]\nsource = "models/classifier.onnx"\n',
            r"targets\[0\]: 'padle' is not one of",
        ),
        (
            'targets = "paddle"\n[models.m]\nsource = "models/classifier.onnx"\n',
            r"targets: expected an array, got 'paddle'",
        ),
        ("[models]\n", r"models: needs at least 1 entry"),
        ('[models.m]\nsource = "models/classifier.onnx"\nseed = -1\n', r"models.m.seed: -1 is below the minimum 0"),
        (
            '[models.m]\nsource = "models/classifier.onnx"\nseed = true\n',
            r"models.m.seed: expected an integer, got True",
        ),
        ('[models.m]\nsource = "models/nothing.onnx"\n', r"models.m.source: no such file 'models/nothing.onnx'"),
        ('[models.m]\nsource = "nothing.py:make"\n', r"models.m.source: no such file 'nothing.py'"),
        (
            '[models.m]\nsource = "models/classifier.onnx"\ndynamic = ["batch"]\n',
            r"models.m.dynamic: dynamic axes apply only to PyTorch factory sources",
        ),
        (
            '[models.m]\nsource = "models/classifier.onnx"\nagainst = "pkg.mod:make"\n',
            r"models.m.against: a PyTorch factory can be the reference only of a PyTorch source",
        ),
        (
            '[models.m]\nsource = "models/classifier.onnx"\nprofile = "tpu"\n',
            r"models.m.profile: unknown profile 'tpu'",
        ),
        (
            '[models.m]\nsource = "models/classifier.onnx"\ninputs = ["x.npz"]\n',
            r"models.m.inputs\[0\]: no such file 'x.npz'",
        ),
        ("[models.m\n", r"not valid TOML"),
    ],
)
def test_bad_config_names_the_file_and_the_key(project, text, message):
    path = project(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")
    assert info.value.exit_code == EXIT_USAGE


def test_profile_file_resolves_relative_to_the_config(project, tmp_path):
    shipped = json.loads(SHIPPED.read_text())
    (tmp_path / "strict.json").write_text(json.dumps({"cpu": shipped["cpu"]}))
    config = load_config(project('profile = "strict.json"\n[models.m]\nsource = "models/classifier.onnx"\n'))
    assert config.models[0].profile == str(tmp_path / "strict.json")


def test_schema_lists_exactly_the_registered_targets():
    assert load_schema()["$defs"]["targets"]["items"]["enum"] == target_names()


def test_schema_checker_follows_refs_and_reports_the_path():
    schema = load_schema()
    good = {"models": {"m": {"source": "a.onnx", "targets": ["paddle"], "timeout": 30}}}
    assert check_schema(good, schema, "") is None
    bad = {"models": {"m": {"source": "a.onnx", "timeout": 0}}}
    assert check_schema(bad, schema, "tool.porter") == "tool.porter.models.m.timeout: 0 is below the minimum 1"
