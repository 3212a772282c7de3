#!/usr/bin/env python3
"""Run a porter bundle on the machine that has the chip: needs only the target framework and numpy.

    python run_bundle.py [--device npu] [--out results.json]

Runs every case's generated model on the device, judges each output against the source outputs and
fp64 golden packed beside it (with the tolerance profile the bundle was made with), and writes
results.json plus the raw outputs (outputs/<case>.npz). Bring results.json and outputs/ back and run
`porter report results.json` for the same verdicts, tables and HTML report as a direct run.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# porter's direct sweep runs the CPU kernels in MKL's reproducible mode (porter.conformance.DETERMINISTIC_ENV):
# so does the bundle, unless its caller set the mode, so that on one machine a bundle gives the direct
# sweep's numbers bit for bit (measured: without it, float32 Div differs by 1 ulp on an AVX-512 machine).
# MKL reads it when it loads, so before the framework is imported.
os.environ.setdefault("MKL_CBWR", "COMPATIBLE")

from numerics import runtime  # noqa: E402  (the target's own porter runtime, shipped in the bundle)
from numerics.profiles import profile_from_dict  # noqa: E402
from numerics.verdict import judge  # noqa: E402


def _arrays(path: str) -> list:
    if not os.path.exists(path):
        return []
    with np.load(path, allow_pickle=False) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def _load_model(model_dir: str, cache: dict):
    if model_dir not in cache:
        name = f"bundle_model_{len(cache)}"
        spec = importlib.util.spec_from_file_location(name, os.path.join(model_dir, "model.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        cache[model_dir] = module.load_model(model_dir)
    return cache[model_dir]


def run_case(n: int, case: dict, profile, cache: dict, out_dir: str) -> dict:
    inputs = _arrays(os.path.join(HERE, case["inputs"]))
    expected = _arrays(os.path.join(HERE, case["expected"]))
    golden = _arrays(os.path.join(HERE, case["golden"])) if case.get("golden") else []
    try:
        model = _load_model(os.path.join(HERE, case["model"]), cache)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outputs = runtime.run(model, inputs)
    except Exception as exc:  # the port failing on this device is a result, not a runner error
        first = (str(exc).strip().splitlines() or [""])[0]
        return {"id": case["id"], "crashed": f"{type(exc).__name__}: {first}"[:300]}
    outputs_path = os.path.join(out_dir, f"case{n}.npz")
    np.savez(outputs_path, *outputs)  # case ids may hold '/': files go by number
    with open(outputs_path, "rb") as f:  # `porter report` checks the file it reads is the one written here
        digest = hashlib.sha256(f.read()).hexdigest()
    verdicts = []
    for i, name in enumerate(case["output_names"]):
        if i >= len(outputs):
            verdicts.append({"name": name, "passed": False, "reason": "the generated model returned no such output"})
            continue
        g = golden[i] if i < len(golden) else None
        verdicts.append({"name": name, **judge(outputs[i], expected[i], g, profile)})
    return {"id": case["id"], "outputs_file": f"outputs/case{n}.npz", "outputs_sha256": digest, "verdicts": verdicts}


def main() -> int:
    with open(os.path.join(HERE, "bundle.json"), encoding="utf-8") as f:
        bundle = json.load(f)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=bundle["device"], help="device string (default: %(default)s)")
    parser.add_argument("--out", default=os.path.join(HERE, "results.json"), help="results file")
    args = parser.parse_args()
    runtime.prepare(args.device)
    profile = profile_from_dict(bundle["profile"])
    out_dir = os.path.join(os.path.dirname(os.path.abspath(args.out)), "outputs")
    os.makedirs(out_dir, exist_ok=True)
    cache: dict = {}
    results = []
    start = time.time()
    for n, case in enumerate(bundle["cases"], 1):
        results.append(run_case(n, case, profile, cache, out_dir))
        print(f"[{n}/{len(bundle['cases'])}] {case['id']}: {_status(results[-1])}", flush=True)
    record = {
        "kind": "porter-bundle-results",
        "bundle": bundle,
        "device": args.device,
        "seconds": round(time.time() - start, 3),
        "python": sys.version.split()[0],
        "cases": results,
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
    os.replace(tmp, args.out)
    failed = sum(_status(r) != "pass" for r in results)
    print(f"wrote {args.out}: {len(results) - failed} of {len(results)} cases pass")
    return 1 if failed else 0


def _status(result: dict) -> str:
    if "crashed" in result:
        return "crashed"
    return "pass" if all(v["passed"] for v in result["verdicts"]) else "FAIL"


if __name__ == "__main__":
    sys.exit(main())
