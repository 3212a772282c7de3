"""bench/speech_vision_models.py (issue 15's speech-and-vision table): every factory builds and runs at the
example's shape and at the next size of each symbolic dim (the second shape validation uses), one small
model converts and matches PyTorch at two shapes in CI, and the slow test runs the whole table."""

import importlib.util
import sys
from pathlib import Path

import pytest

from porter import convert
from porter.validators.validate import validate

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

BENCH = Path(__file__).resolve().parents[2] / "bench"
FACTORIES = BENCH / "speech_vision_models.py"
BOUND = 1e-4  # max abs error <= 1e-4 * max(1, |reference|), the transformers table's criterion


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))  # the factories share hf_models' weight perturbation
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODELS = _load("speech_vision_models").MODELS


@pytest.mark.parametrize("name", list(MODELS))
def test_factory_builds_and_runs_at_both_validation_shapes(name):
    """The model runs at the example's shape and with every symbolic dim one larger (validation's second
    shape): an odd height must not break the U-Net's skips nor an odd width the CRNN's pooling."""
    models = _load("speech_vision_models")
    module, example = getattr(models, name)()
    assert not module.training
    (x,) = example
    dims = MODELS[name]
    assert len(dims) <= x.dim(), f"{name}: at most one MODELS entry per input axis (the rest are static)"
    grown = [size + (axis < len(dims) and dims[axis] != "_") for axis, size in enumerate(x.shape)]
    with torch.no_grad():
        for inputs in (x, torch.randn(grown)):
            out = module(inputs)
            outs = tuple(out.values()) if isinstance(out, dict) else out if isinstance(out, tuple) else (out,)
            assert outs and all(torch.isfinite(o.float()).all() for o in outs)


def test_spatial_transformer_matches_pytorch_at_two_shapes(tmp_path):
    """affine_grid + grid_sample with dynamic batch, height and width, converted from the nn.Module."""
    convert(f"{FACTORIES}:spatial_transformer", "paddle", tmp_path / "out", dynamic=MODELS["spatial_transformer"])
    result = validate(tmp_path / "out")
    assert result["source_runner"] == "PyTorch"
    assert [s["inputs"][0]["shape"] for s in result["sets"]] == [[2, 1, 28, 28], [3, 1, 29, 29]]
    for s in result["sets"]:
        for o in s["outputs"]:
            assert o["passed"], o["reason"]
            assert o["metrics"]["max_abs"] <= BOUND * max(1.0, o["source_max_abs"])


@pytest.mark.slow
def test_the_whole_table_passes_on_both_targets(tmp_path):
    table = _load("transformers_table")
    failed = []
    for name, dims in MODELS.items():
        for target in ("paddle", "mindspore"):
            row = table.run_one(name, dims, target, tmp_path, FACTORIES)
            if row["status"] != "pass" or len(row["shapes"]) != 2:
                failed.append(row)
    assert failed == []
