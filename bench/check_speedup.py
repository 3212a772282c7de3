"""`porter check` wall time on a batch of models: serial, --jobs 2, and Ray tasks, in the same run.

The batch: the CI sample's two models and examples/tiny_cnn.onnx, each for Paddle and MindSpore (six work
items), run with the cache off. The serial run (--jobs 1) is the reference; the figures are its time
divided by each other mode's, so they compare modes, not machines. Ray runs on a local instance with as
many CPUs as --jobs, started before the clock starts (a cluster is up before CI uses it).
Run: python bench/check_speedup.py [--jobs 2] [--targets paddle,mindspore]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from porter.check import load_config, run_check
from porter.check.run import LOCAL

ROOT = Path(__file__).resolve().parents[1]
MODELS = {
    "classifier": ROOT / "examples" / "ci" / "sample" / "models" / "classifier.onnx",
    "encoder": ROOT / "examples" / "ci" / "sample" / "models" / "encoder.onnx",
    "tiny_cnn": ROOT / "examples" / "tiny_cnn.onnx",
}


def _timed(config, **kwargs) -> tuple[float, list]:
    start = time.perf_counter()
    run = run_check(config, use_cache=False, **kwargs)
    return time.perf_counter() - start, [(r["id"], r["status"]) for r in run.results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--targets", default="paddle,mindspore")
    args = parser.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    with tempfile.TemporaryDirectory(prefix="porter-bench-check-") as tmp:
        lines = [f"targets = {targets!r}".replace("'", '"')]
        for name, path in MODELS.items():
            shutil.copy(path, Path(tmp) / path.name)
            lines += [f"[models.{name}]", f'source = "{path.name}"']
        (Path(tmp) / "porter.toml").write_text("\n".join(lines) + "\n")
        config = load_config(Path(tmp) / "porter.toml")
        serial, verdicts = _timed(config, jobs=1, ray_address=LOCAL)
        pool, pool_verdicts = _timed(config, jobs=args.jobs, ray_address=LOCAL)
        import ray

        ray.init(num_cpus=args.jobs, include_dashboard=False, log_to_driver=False)
        try:
            on_ray, ray_verdicts = _timed(config, ray_address="")
        finally:
            ray.shutdown()
    same = verdicts == pool_verdicts == ray_verdicts
    print(
        f"{len(verdicts)} work items ({', '.join(MODELS)} x {', '.join(targets)}), cache off; verdicts identical: {same}"
    )
    print("| mode | wall (s) | speed-up over serial |")
    print("|---|---:|---:|")
    for label, seconds in (
        ("serial (--jobs 1)", serial),
        (f"--jobs {args.jobs}", pool),
        (f"--ray ({args.jobs} CPUs)", on_ray),
    ):
        print(f"| {label} | {seconds:.1f} | {serial / seconds:.2f}x |")


if __name__ == "__main__":
    main()
