"""Fuzz campaign: mutated real model files through the converter, random valid graphs through convert ->
Paddle -> compare with onnxruntime, mutated checkpoints through `porter weights`' readers, and mutated
bundle results files through `porter report`. Counts go to stdout and --json; docs/reliability.md
records a run.

    python scripts/fuzz.py --mutations 10000 --graphs 1000 --checkpoints 2000 --results 2000 --seed 0 --json fuzz.json
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from porter import launcher
from porter.fuzzing import mutate, mutate_json, random_graph, reference_outputs, seed_checkpoints, seed_models
from porter.validators.tolerances import tolerance_for
from porter.workers import run_isolated


def mutation_campaign(count: int, seed: int, jobs: int, target: str) -> dict:
    rng = random.Random(seed)
    seeds = seed_models()
    items = []
    for i in range(count):
        base, other = rng.choice(seeds), rng.choice(seeds)
        items.append((f"m{i}", {"model": mutate(base, rng, other), "target": target}))
    counts: collections.Counter = collections.Counter()
    bugs = []
    for outcome in run_isolated(items, "porter.fuzzing:convert_bytes", jobs=jobs, timeout=60):
        if not outcome.ok:
            kind = "hung" if "timed out" in outcome.error else "crashed"
            counts[kind] += 1
            bugs.append(f"{outcome.key}: {outcome.error}")
            continue
        status, detail = outcome.value
        counts[status] += 1
        if status == "bug":
            bugs.append(f"{outcome.key}: {detail}")
    return {"models": count, "counts": dict(counts), "problems": bugs[:50]}


def graph_campaign(count: int, seed: int, jobs: int, target: str) -> dict:
    rng = random.Random(seed)
    items = []
    tol = tolerance_for("float32")
    for i in range(count):
        model, x = random_graph(rng)
        items.append(
            (
                f"g{i}",
                {
                    "model": model.SerializeToString(),
                    "inputs": [x],
                    "outputs": reference_outputs(model, x),
                    "rtol": tol.rtol,
                    "atol": tol.atol,
                },
            )
        )
    counts: collections.Counter = collections.Counter()
    problems = []
    for outcome in run_isolated(
        items,
        "porter.conformance:run_case",
        jobs=jobs,
        timeout=120,
        init_path="porter.conformance:worker_init",
        init_arg=target,
    ):
        status, detail = outcome.value if outcome.ok else ("crashed", outcome.error)
        counts[status] += 1
        if status != "passed":
            problems.append(f"{outcome.key}: {status}: {detail}")
    return {"graphs": count, "counts": dict(counts), "problems": problems[:50]}


def _tally(outcomes, bad: set[str]) -> tuple[collections.Counter, list[str]]:
    """Counts per outcome (a dead worker counts as crashed, a timed-out one as hung) and the bad ones."""
    counts: collections.Counter = collections.Counter()
    problems = []
    for outcome in outcomes:
        if not outcome.ok:
            kind = "hung" if "timed out" in outcome.error else "crashed"
            counts[kind] += 1
            problems.append(f"{outcome.key}: {outcome.error}")
            continue
        status, detail = outcome.value
        counts[status] += 1
        if status in bad:
            problems.append(f"{outcome.key}: {status}: {detail}")
    return counts, problems


def checkpoint_campaign(count: int, seed: int, jobs: int) -> dict:
    """Mutated safetensors and torch checkpoints: read, or refused with porter's own error."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="porter-fuzz-") as tmp:
        seeds = seed_checkpoints(Path(tmp))
    items = []
    for i in range(count):
        suffix, data = rng.choice(seeds)
        items.append((f"c{i}", {"suffix": suffix, "data": mutate(data, rng, rng.choice(seeds)[1])}))
    counts, problems = _tally(run_isolated(items, "porter.fuzzing:read_checkpoint_bytes", jobs=jobs, timeout=120), {"bug"})  # fmt: skip
    return {"checkpoints": count, "counts": dict(counts), "problems": problems[:50]}


def failing_bundle(folder: Path, target: str) -> Path:
    """The shipped example converted with one weight scaled by 1.5 (so the honest verdict is FAIL),
    bundled, extracted and run: the folder holding its results.json."""
    from porter import convert
    from porter.targets import get_target
    from porter.validators.bundle import ROOT, write_validate_bundle
    from porter.weights import conversion_weights

    example = Path(__file__).resolve().parent.parent / "examples" / "tiny_cnn.onnx"
    convert(str(example), target, folder / "out")
    spec = get_target(target)
    weights = conversion_weights(folder / "out", target)
    first = next(k for k, v in weights.items() if v.dtype.kind == "f")
    spec.write_weights({**weights, first: weights[first] * 1.5}, str(folder / "out" / spec.weights_file))
    write_validate_bundle(folder / "out", example, folder / "b.tar.gz")
    with tarfile.open(folder / "b.tar.gz") as tar:
        tar.extractall(folder / "device", filter="data")
    root = folder / "device" / ROOT
    try:
        launcher.run(launcher.python_command(None, code="import runpy; runpy.run_path('run_bundle.py', run_name='__main__')"),
                     "run_bundle.py", timeout=600, cwd=root)  # fmt: skip
    except launcher.HelperFailed as exc:
        if exc.returncode != 1:  # 1: a verdict failed, as planned
            raise
    return root


def results_campaign(count: int, seed: int, jobs: int, target: str) -> dict:
    """Mutated results.json of a bundle whose honest verdict is FAIL: judged FAIL or refused; never a PASS."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="porter-fuzz-") as tmp:
        root = failing_bundle(Path(tmp), target)
        honest = (root / "results.json").read_bytes()
        record = json.loads(honest)
        items = []
        for i in range(count):
            data = mutate(honest, rng) if rng.random() < 0.3 else json.dumps(mutate_json(record, rng)).encode()
            items.append((f"r{i}", {"folder": str(root), "data": data}))
        outcomes = run_isolated(items, "porter.fuzzing:judge_results_bytes", jobs=jobs, timeout=120)
        counts, problems = _tally(outcomes, {"bug", "forged-pass"})
    return {"results_files": count, "counts": dict(counts), "problems": problems[:50]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=10000)
    parser.add_argument("--graphs", type=int, default=1000)
    parser.add_argument("--checkpoints", type=int, default=2000)
    parser.add_argument("--results", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--target", default="paddle")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    report = {
        "seed": args.seed,
        "target": args.target,
        "mutations": mutation_campaign(args.mutations, args.seed, args.jobs, args.target),
        "random_graphs": graph_campaign(args.graphs, args.seed, args.jobs, args.target),
        "checkpoints": checkpoint_campaign(args.checkpoints, args.seed, args.jobs),
        "results_files": results_campaign(args.results, args.seed, args.jobs, args.target),
    }
    report["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps({k: v for k, v in report.items()}, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    m, g = report["mutations"]["counts"], report["random_graphs"]["counts"]
    c, r = report["checkpoints"]["counts"], report["results_files"]["counts"]
    failures = sum(v for k, v in g.items() if k != "passed") + sum(
        counts.get(kind, 0) for counts in (m, c, r) for kind in ("bug", "crashed", "hung", "forged-pass")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
