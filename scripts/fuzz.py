"""Fuzz campaign: mutated real model files through the converter, random valid graphs through convert ->
Paddle -> compare with onnxruntime. Counts go to stdout and --json; docs/reliability.md records a run.

    python scripts/fuzz.py --mutations 10000 --graphs 1000 --seed 0 --json fuzz.json
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import time

from porter.fuzzing import mutate, random_graph, reference_outputs, seed_models
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=10000)
    parser.add_argument("--graphs", type=int, default=1000)
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
    }
    report["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps({k: v for k, v in report.items()}, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    m, g = report["mutations"]["counts"], report["random_graphs"]["counts"]
    failures = m.get("bug", 0) + m.get("crashed", 0) + m.get("hung", 0) + sum(v for k, v in g.items() if k != "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
