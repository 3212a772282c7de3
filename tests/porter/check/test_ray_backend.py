"""Ray: the same work items as Ray tasks on a local instance with a fake NPU resource; identical verdicts."""

import pytest

from porter.check.config import load_config
from porter.check.ray_backend import RayUnavailable, device_resources, pack_payload, run_on_ray, unpack_payload
from porter.check.run import LOCAL, run_check
from tests.porter.check.conftest import make_project

ray = pytest.importorskip("ray")  # the [ray] extra; CI installs it with [all]

CONFIG = """
targets = ["paddle"]
[models.classifier]
source = "models/classifier.onnx"
[models.changed]
source = "models/classifier_changed.onnx"
against = "models/classifier.onnx"
"""


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, resources={"NPU": 2}, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_devices_map_to_ray_resources():
    assert device_resources("cpu") == {}
    assert device_resources("npu") == device_resources("ascend:0") == {"NPU": 1.0}
    assert device_resources("gpu:1") == {"GPU": 1.0}


def test_shipped_directories_travel_as_files(tmp_path):
    (tmp_path / "case" / "sub").mkdir(parents=True)
    (tmp_path / "case" / "model.py").write_text("x = 1\n")
    (tmp_path / "case" / "sub" / "w.npz").write_bytes(b"\x00\x01")
    packed = pack_payload({"dir": str(tmp_path / "case"), "inputs": [1]}, ("dir",))
    unpacked = unpack_payload(packed, tmp_path / "elsewhere")
    assert unpacked["inputs"] == [1] and unpacked["dir"] != str(tmp_path / "case")
    assert (tmp_path / "elsewhere" / "dir" / "model.py").read_text() == "x = 1\n"
    assert (tmp_path / "elsewhere" / "dir" / "sub" / "w.npz").read_bytes() == b"\x00\x01"


def test_tasks_request_the_device_and_a_missing_resource_is_refused(local_ray):
    items = [("a/npu", "x/y.onnx"), ("b/cpu", "p/q.py")]
    resources = {"a/npu": {"NPU": 1.0}, "b/cpu": {}}
    outcomes = run_on_ray(items, "os.path:basename", resources=resources.get)  # a function any worker has
    assert sorted((o.key, o.ok, o.value) for o in outcomes) == [("a/npu", True, "y.onnx"), ("b/cpu", True, "q.py")]
    with pytest.raises(RayUnavailable, match=r"c/gpu needs the Ray resource 'GPU'"):
        list(run_on_ray([("c/gpu", "z")], "os.path:basename", resources=lambda key: {"GPU": 1.0}))


def test_items_run_in_the_ray_workers_themselves_when_not_isolated(local_ray):
    items = [("a", "x/y.onnx"), ("b", "p/q.py"), ("c", 5)]  # basename(5) raises: that task fails alone
    outcomes = {o.key: o for o in run_on_ray(items, "os.path:basename", isolated=False)}
    assert (outcomes["a"].ok, outcomes["a"].value, outcomes["b"].value) == (True, "y.onnx", "q.py")
    assert not outcomes["c"].ok and outcomes["c"].error.startswith("Ray task failed"), outcomes["c"]


def test_check_on_ray_gives_the_local_verdicts(local_ray, tmp_path):
    config = load_config(make_project(tmp_path, CONFIG))
    local = run_check(config, jobs=2, ray_address=LOCAL, use_cache=False)
    on_ray = run_check(config, ray_address="", use_cache=False)

    def verdicts(run):
        return [(r["id"], r["status"], r["reason"], r.get("first_divergent"), r["figures"]) for r in run.results]

    assert verdicts(on_ray) == verdicts(local)
    assert [r["status"] for r in local.results] == ["passed", "failed"]
    assert local.exit_code == on_ray.exit_code == 1


def test_kernel_sweep_on_ray_matches_the_local_sweep(local_ray):
    from porter.validators.kernels import sweep

    local = sweep("paddle", dtypes=["float32"], ops=["Relu"], jobs=2)
    on_ray = sweep("paddle", dtypes=["float32"], ops=["Relu"], ray_address="")
    assert on_ray["results"] == local["results"] and local["totals"]["ran"] > 0
