"""`porter validate`: the generated model against its source and the fp64 golden, on the chosen device.

For each input set (random inputs at two sizes of the symbolic dims, or the user's .npz files):
  source  onnxruntime on the source graph (its own process)
  golden  onnx.reference on the graph recast to float64
  target  the generated model on --device (its own process)
and every output gets a verdict from the tolerance profile (verdict.py) with the reason in words.
On a failed verdict the layerwise search (layerwise.py) names the first node whose kernel is wrong.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import onnx

from porter.errors import PorterError
from porter.frontends.onnx_source import load_onnx
from porter.validators.golden import golden_outputs
from porter.validators.layerwise import locate
from porter.validators.parity import random_inputs, run_side
from porter.validators.profiles import load_profile
from porter.validators.verdict import judge

# Symbolic dims start at these sizes in the two random input sets: two shapes from one conversion.
RANDOM_DIM_SIZES = (2, 3)
HISTOGRAM_BINS = 24


def read_report(out_dir: Path) -> dict:
    try:
        return json.loads((Path(out_dir) / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise PorterError(f"{out_dir}: no readable report.json (is this a porter output directory?)") from None


def source_model(out_dir: Path, against) -> tuple[onnx.ModelProto, str, str | None]:
    """(ONNX graph, label, PyTorch factory spec or None) of the source to validate against.

    --against an .onnx file: onnxruntime runs it. --against a factory spec (pkg.module:factory or
    file.py:factory), or nothing for a PyTorch conversion: PyTorch itself is the source, and the graph it
    was exported to (OUT/source.onnx) serves the golden and the layerwise search.
    """
    from porter.frontends.torch_source import is_torch_spec

    kept = Path(out_dir) / "source.onnx"
    if against is None:
        spec = read_report(out_dir).get("source", "")
        if not kept.is_file():
            raise PorterError(f"{out_dir}: give --against SOURCE.onnx (OUT keeps source.onnx only for PyTorch sources)")
        return load_onnx(kept), spec or str(kept), spec if is_torch_spec(spec) else None
    if is_torch_spec(str(against)):
        if not kept.is_file():
            raise PorterError(f"{out_dir}: no source.onnx, so {against} was not its source (convert it from there)")
        return load_onnx(kept), str(against), str(against)
    return load_onnx(against), str(against), None


def input_sets(model: onnx.ModelProto, inputs_files=(), seed: int = 0, example_shapes=None) -> list[dict]:
    """[{label, arrays}]: the user's files, else random inputs at two sizes of the symbolic dims.

    The sizes start at the PyTorch example's (when the conversion recorded it: a speech model's conv
    stem needs its real audio length) or at RANDOM_DIM_SIZES, and differ per dim (batch=2, seq=3; then
    3, 4), so that a swapped or confused axis cannot pass unseen.
    """
    initializers = {i.name for i in model.graph.initializer}
    graph_inputs = [vi for vi in model.graph.input if vi.name not in initializers]
    if inputs_files:
        return [_read_inputs_file(Path(f), graph_inputs) for f in inputs_files]
    example: dict[str, int] = {}
    for vi, shape in zip(graph_inputs, example_shapes or []):
        for d, size in zip(vi.type.tensor_type.shape.dim, shape):
            if not d.HasField("dim_value") and d.dim_param:
                example.setdefault(d.dim_param, int(size))
    symbolic = sorted(
        {
            d.dim_param or "?"
            for vi in graph_inputs
            for d in vi.type.tensor_type.shape.dim
            if not d.HasField("dim_value")
        }
    )
    sizes = RANDOM_DIM_SIZES if symbolic else RANDOM_DIM_SIZES[:1]
    sets = []
    for i, size in enumerate(sizes):
        dims = {name: example[name] + i if name in example else size + k for k, name in enumerate(symbolic)}
        label = f"random (seed {seed + i})" + (f", {', '.join(f'{k}={v}' for k, v in dims.items())}" if dims else "")
        sets.append({"label": label, "arrays": random_inputs(model, seed + i, dims)})
    return sets


def _read_inputs_file(path: Path, graph_inputs) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            stored = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise PorterError(f"{path}: not a readable .npz of input arrays ({exc})") from None
    arrays = []
    for i, vi in enumerate(graph_inputs):
        for key in (vi.name, f"input_{i}"):
            if key in stored:
                arrays.append(stored[key])
                break
        else:
            raise PorterError(f"{path}: no array for model input {vi.name!r} (keys: {', '.join(stored) or 'none'})")
    return {"label": path.name, "arrays": arrays}


def error_histogram(target: np.ndarray, source: np.ndarray) -> dict | None:
    """log10 |target - source| over finite elements, binned: the error's distribution, for the report."""
    if target.shape != source.shape or source.dtype.kind not in "fc" and source.dtype.name != "bfloat16":
        return None
    with np.errstate(all="ignore"):
        diff = np.abs(target.astype(np.float64) - source.astype(np.float64))
    diff = diff[np.isfinite(diff)]
    if not diff.size:
        return None
    logs = np.log10(np.maximum(diff, 1e-30))
    counts, edges = np.histogram(logs, bins=HISTOGRAM_BINS, range=(-12.0, 0.0))
    return {"log10_edges": edges.tolist(), "counts": counts.tolist(), "exact": int(np.sum(diff == 0))}


def validate(
    out_dir,
    against=None,
    *,
    inputs_files=(),
    device: str = "cpu",
    profile: str | None = None,
    seed: int = 0,
    layerwise: bool = True,
    progress=None,
) -> dict:
    out_dir = Path(out_dir)
    report = read_report(out_dir)
    target = report["target"]
    chosen = load_profile(profile, device)
    model, source_label, torch_spec = source_model(out_dir, against)
    names = [o.name for o in model.graph.output]
    say = progress or (lambda _msg: None)
    result = {
        "kind": "porter-validate",
        "target": target,
        "device": device,
        "profile": chosen.to_dict(),
        "out_dir": str(out_dir),
        "source": source_label,
        "source_runner": "PyTorch" if torch_spec else "onnxruntime",
        "sets": [],
        "layerwise": None,
    }
    with tempfile.TemporaryDirectory(prefix="porter-validate-") as tmp_name:
        tmp = Path(tmp_name)
        onnx.save(model, tmp / "source.onnx")
        first_failure = None
        example_shapes = (report.get("export") or {}).get("example_shapes")
        for n, case in enumerate(input_sets(model, inputs_files, seed, example_shapes)):
            say(f"input set {n + 1}: {case['label']}")
            entry = _validate_set(out_dir, target, device, model, names, case, chosen, tmp / f"set{n}", torch_spec)
            result["sets"].append(entry)
            if not entry["passed"] and first_failure is None and not entry.get("crashed"):
                first_failure = case
        if first_failure is not None and layerwise:
            say("a verdict failed: locating the first divergent node")
            result["layerwise"] = locate(
                out_dir, model, report, first_failure["arrays"], chosen, run_side, tmp, device=device, progress=say
            )
            result["layerwise"]["input_set"] = first_failure["label"]
    result["golden"] = next((s["golden"] for s in result["sets"] if "golden" in s), None)
    result["passed"] = all(s["passed"] for s in result["sets"])
    return result


def run_source(tmp: Path, inputs: Path, out: Path, torch_spec: str | None) -> None:
    """The source side, in its own process: PyTorch for a factory spec, else onnxruntime on the graph."""
    if torch_spec:
        problem = run_side(["torch", torch_spec, str(inputs), str(out)], "PyTorch")
    else:
        problem = run_side(["onnxruntime", str(tmp / "source.onnx"), str(inputs), str(out)], "onnxruntime")
    if problem:  # the source itself failing is not a verdict on the port
        raise PorterError(problem)


def _validate_set(out_dir, target, device, model, names, case, profile, tmp: Path, torch_spec=None) -> dict:
    tmp.mkdir()
    arrays = case["arrays"]
    np.savez(tmp / "inputs.npz", **{f"input_{i}": a for i, a in enumerate(arrays)})
    entry = {
        "label": case["label"],
        "inputs": [{"shape": list(a.shape), "dtype": a.dtype.name} for a in arrays],
    }
    run_source(tmp.parent, tmp / "inputs.npz", tmp / "src.npz", torch_spec)
    crash = run_side(
        ["target", target, str(out_dir), str(tmp / "inputs.npz"), str(tmp / "out.npz"), device],
        f"the generated {target} model",
    )
    if crash:  # a crash or hang of the port is a failed verdict, explained
        return {**entry, "passed": False, "crashed": crash, "outputs": []}
    with np.load(tmp / "src.npz", allow_pickle=False) as s, np.load(tmp / "out.npz", allow_pickle=False) as o:
        source = [s[f"output_{i}"] for i in range(len(s.files))]
        actual = [o[f"output_{i}"] for i in range(len(o.files))]
    golden, how = golden_outputs(model, arrays)
    entry["golden"] = how
    outputs = []
    for i, name in enumerate(names):
        if i >= len(actual):
            outputs.append({"name": name, "passed": False, "reason": "the generated model returned no such output"})
            continue
        verdict = judge(actual[i], source[i], None if golden is None else golden.get(name), profile)
        verdict["histogram"] = error_histogram(np.asarray(actual[i]), np.asarray(source[i]))
        outputs.append({"name": name, **verdict})
    if len(actual) > len(names):
        outputs.append(
            {"name": "<extra>", "passed": False, "reason": f"{len(actual)} outputs, the source has {len(names)}"}
        )
    entry["outputs"] = outputs
    entry["passed"] = all(o["passed"] for o in outputs)
    return entry
