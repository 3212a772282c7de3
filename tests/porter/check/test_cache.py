"""Result cache: keyed by content, porter and framework versions, profile and settings."""

from importlib import metadata

from porter.check.cache import ResultCache, content_hash, framework_versions, item_key
from porter.check.config import load_config

CONFIG = '[models.classifier]\nsource = "models/classifier.onnx"\nwatch = ["extra/*.py"]\n'


def key_of(path, device_index=0):
    config = load_config(path)
    return item_key(config.items[device_index], config.root)


def test_key_is_stable_and_follows_source_content(project, tmp_path):
    path = project(CONFIG)
    first = key_of(path)
    assert first == key_of(path) and len(first) == 64
    model = tmp_path / "models" / "classifier.onnx"
    model.write_bytes(model.read_bytes() + b"\0")  # any change to the file's bytes
    assert key_of(path) != first


def test_key_follows_profile_device_seed_and_watched_files(project, tmp_path):
    base = key_of(project(CONFIG))
    assert key_of(project(CONFIG.replace("watch", 'profile = "gpu"\nwatch'))) != base
    assert key_of(project(CONFIG.replace("watch", "seed = 1\nwatch"))) != base
    assert key_of(project(CONFIG.replace("watch", 'devices = ["npu"]\nwatch'))) != base
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "layers.py").write_text("x = 1\n")
    assert key_of(project(CONFIG)) != base


def test_factory_specs_hash_their_python_file(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "nets.py").write_text("def make(): pass\n")
    (tmp_path / "nets.py").write_text("def make(): pass\n")
    assert content_hash("pkg.nets:make", tmp_path) == content_hash("nets.py:make", tmp_path) is not None
    assert content_hash("nowhere.to.be.found:make", tmp_path) is None


def test_framework_versions_come_from_package_metadata():
    versions = framework_versions("paddle", uses_torch=True)
    assert versions["paddlepaddle"] == metadata.version("paddlepaddle")
    assert {"onnx", "onnxruntime", "numpy", "torch"} <= set(versions)
    assert "mindspore" in framework_versions("mindspore", uses_torch=False)


def test_result_cache_round_trip_and_unreadable_entries(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put("k", {"status": "passed"})
    assert cache.get("k") == {"status": "passed"}
    (tmp_path / "results" / "bad.json").write_text("{not json")
    assert cache.get("bad") is None and cache.get(None) is None
