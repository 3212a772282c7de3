"""Trainable size of a `--train` port against its PyTorch source, per architecture in bench/hf_models.py.

    .venv/bin/python bench/trainable_size.py [--models bert,gpt2] [--targets paddle,mindspore] [--json out.json]

Each architecture is converted with `training=True` and its symbolic dims (as `porter convert --train
--dynamic ...`); torch's trainable parameters (requires_grad) and the port's (Paddle: not stop_gradient;
MindSpore: trainable_params()) are counted, tensors and elements, each framework in its own process. The
names that differ are listed through report.json's weight map: torch parameters with no trainable
counterpart, and port parameters that are trainable but stand for no torch parameter.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def worker(side: str, where: str) -> dict:
    """Runs in its own process: {name: numel} of the trainable parameters on one side."""
    if side == "torch":
        from porter.frontends.torch_source import load_factory

        module, _ = load_factory(where)
        return {name: p.numel() for name, p in module.named_parameters() if p.requires_grad}
    from porter.loading import load

    model = load(where)
    if side == "paddle":
        return {name: int(p.size) for name, p in model.named_parameters() if not p.stop_gradient}
    return {p.name: int(p.size) for p in model.trainable_params()}


def _side(side: str, where: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", side, where], capture_output=True, text=True, timeout=900
    )
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_one(name: str, dims: list[str], target: str, tmp: Path, torch_side: dict) -> dict:
    import porter
    from porter.errors import PorterError

    out = tmp / f"{name}-{target}"
    row = {"model": name, "target": target, "torch": [len(torch_side), sum(torch_side.values())]}
    try:
        porter.convert(f"{HERE / 'hf_models.py'}:{name}", target, out, dynamic=dims, training=True)
    except PorterError as exc:
        return {**row, "status": "refused", "why": str(exc)[:300]}
    port = _side(target, str(out))
    row["port"] = [len(port), sum(port.values())]
    mapping = {e["source"]: e["target"] for e in json.loads((out / "report.json").read_text())["parameters"]}
    row["torch_only"] = sorted(k for k in torch_side if mapping.get(k) not in port)
    row["port_only"] = sorted(set(port) - {mapping[k] for k in torch_side if k in mapping})
    row["status"] = "equal" if row["port"] == row["torch"] and not row["torch_only"] else "DIFFERENT"
    return row


def markdown(rows: list[dict]) -> str:
    lines = [
        "| model | target | torch tensors / elements | port tensors / elements | status | differences |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        diff = "; ".join(
            part
            for part in (
                f"torch only: {', '.join(r['torch_only'][:4])}" if r.get("torch_only") else "",
                f"port only: {', '.join(r['port_only'][:4])}" if r.get("port_only") else "",
                r.get("why", "")[:160],
            )
            if part
        )
        port = "{} / {:,}".format(*r["port"]) if "port" in r else "-"
        lines.append(
            f"| {r['model']} | {r['target']} | {r['torch'][0]} / {r['torch'][1]:,} | {port} | {r['status']} | {diff} |"
        )
    return "\n".join(lines)


def main() -> int:
    from hf_models import MODELS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="paddle,mindspore")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", nargs=2, metavar=("SIDE", "WHERE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="porter-trainable-") as tmp:
        for name in args.models.split(","):
            torch_side = _side("torch", f"{HERE / 'hf_models.py'}:{name}")
            for target in args.targets.split(","):
                rows.append(run_one(name, MODELS[name], target, Path(tmp), torch_side))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    print(markdown(rows))
    return 0 if all(r["status"] == "equal" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
