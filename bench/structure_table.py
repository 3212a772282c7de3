"""How the generated code reads, per architecture and depth: lines of model.py, classes, numbered names,
whether the port's state_dict has torch's keys, shapes and trainable size, and whether torch's own fine-tuned
checkpoint, loaded as it is (set_state_dict / load_param_into_net, keys renamed only by the framework-naming
table of docs/structure.md), gives torch's output.

    .venv/bin/python bench/structure_table.py [--models llama,bert] [--depths 2,4,8] [--targets paddle,mindspore]
        [--json out.json]

Depth is set through PORTER_HF_LAYERS (bench/hf_models.py). State_dicts are compared and loaded at the first depth
only (each side loads in its own process). Prints a Markdown table; bench/README.md keeps the last one.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import porter  # noqa: E402

NUMBERED = re.compile(r"(_\d+|^val_\d+|^v_\d+)$")
# MindSpore layers name their own parameters (docs/structure.md): torch's name -> MindSpore's, per layer
MINDSPORE_NAMES = {"weight": ("gamma", "embedding_table"), "bias": ("beta",)}

_TORCH = """
import json, os, sys
import numpy as np, torch
sys.path.insert(0, {here!r})
import hf_models
model, inputs = getattr(hf_models, {name!r})()
keys = {{k: list(v.shape) for k, v in model.state_dict().items()}}
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
# a fine-tuned checkpoint of the same architecture (other weights than the conversion's) and torch's output
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(i)) * 0.05)
    out = model(*inputs)
first = out[0] if isinstance(out, (tuple, list)) or hasattr(out, "to_tuple") else out
np.savez({state!r}, **{{k: v.numpy() for k, v in model.state_dict().items()}})
np.savez({io!r}, out=first.numpy(), **{{f"input_{{i}}": x.numpy() for i, x in enumerate(inputs)}})
print(json.dumps({{"keys": keys, "trainable": trainable}}))
"""
_PORT = {
    "paddle": """
import json, importlib.util
import numpy as np, paddle
spec = importlib.util.spec_from_file_location("port", {path!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model = mod.load_model()
keys = {{k: list(v.shape) for k, v in model.state_dict().items()}}
trainable = sum(int(p.size) for p in model.parameters() if not p.stop_gradient)
# torch's own checkpoint, as it is (keys renamed by the framework-naming table only)
with np.load({state!r}) as state:
    missing, unexpected = model.set_state_dict({{{rename}(k, keys): state[k] for k in state.files}})
with np.load({io!r}) as io:
    inputs = [paddle.to_tensor(io[f"input_{{i}}"]) for i in range(len(io.files) - 1)]
    out = model(*inputs)
    first = (out[0] if isinstance(out, (tuple, list)) else out).numpy()
    error = float(np.abs(first - io["out"]).max() / max(1.0, np.abs(io["out"]).max()))
print(json.dumps({{"keys": keys, "trainable": trainable, "load_error": error, "not_loaded": len(missing) + len(unexpected)}}))
""",
    "mindspore": """
import json, importlib.util, sys
import mindspore
import numpy as np
spec = importlib.util.spec_from_file_location("port", {path!r})
mod = importlib.util.module_from_spec(spec); sys.modules["port"] = mod; spec.loader.exec_module(mod)
model = mod.load_model()
keys = {{p.name: list(p.shape) for p in model.get_parameters()}}
trainable = sum(int(p.size) for p in model.trainable_params())
with np.load({state!r}) as state:
    params = {{{rename}(k, keys): mindspore.Parameter(mindspore.Tensor(state[k])) for k in state.files}}
    not_loaded, _ = mindspore.load_param_into_net(model, params)
with np.load({io!r}) as io:
    inputs = [mindspore.Tensor(io[f"input_{{i}}"]) for i in range(len(io.files) - 1)]
    out = model(*inputs)
    first = (out[0] if isinstance(out, (tuple, list)) else out).asnumpy()
    error = float(np.abs(first - io["out"]).max() / max(1.0, np.abs(io["out"]).max()))
print(json.dumps({{"keys": keys, "trainable": trainable, "load_error": error, "not_loaded": len(not_loaded)}}))
""",
}
# torch's key as the port names it (the framework-naming table of docs/structure.md), for the checkpoint load
_RENAME = """
def _port_key(key, got):
    if key in got:
        return key
    module, _, name = key.rpartition(".")
    for renamed in {names!r}.get(name, ()):
        if f"{{module}}.{{renamed}}" in got:
            return f"{{module}}.{{renamed}}"
    return key
"""


def assigned_names(code: str) -> list[str]:
    """Every name the generated forward/construct methods assign or take as a parameter."""
    names = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.FunctionDef) and node.name in ("forward", "construct"):
            names += [a.arg for a in node.args.args if a.arg != "self"]
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Assign):
                    for target in stmt.targets:
                        names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return names


def symbolic_dims() -> dict[str, list[str]]:
    """hf_models.MODELS (name -> dims kept symbolic), read without importing torch here."""
    tree = ast.parse((HERE / "hf_models.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "MODELS" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("bench/hf_models.py has no MODELS table")


def _run(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _mindspore_key(key: str, got: dict) -> str:
    """torch's key as the MindSpore port names it: the same, or its layer's own name for that parameter
    (LayerNorm gamma/beta, Embedding embedding_table)."""
    if key in got:
        return key
    module, _, name = key.rpartition(".")
    for renamed in MINDSPORE_NAMES.get(name, ()):
        if f"{module}.{renamed}" in got:
            return f"{module}.{renamed}"
    return key


def compare_keys(name: str, target: str, out: Path) -> dict:
    """The port's state_dict against torch's (keys, shapes, trainable size), and torch's own fine-tuned
    checkpoint loaded into the port (set_state_dict / load_param_into_net): its output against torch's."""
    state, io = out / "torch_state.npz", out / "torch_io.npz"
    torch_side = _run(_TORCH.format(here=str(HERE), name=name, state=str(state), io=str(io)))
    names = MINDSPORE_NAMES if target == "mindspore" else {}
    port_code = _RENAME.format(names=names) + _PORT[target].format(
        path=str(out / "model.py"), state=str(state), io=str(io), rename="_port_key"
    )
    port_side = _run(port_code)
    expected = torch_side["keys"]
    got = port_side["keys"]
    if target == "mindspore":  # MindSpore's own layers rename (LayerNorm gamma); a module class keeps torch's
        expected = {_mindspore_key(k, got): v for k, v in expected.items()}
    transposed = sum(1 for k, v in expected.items() if k in got and got[k] != v and got[k] == v[::-1])
    return {
        "keys_equal": set(got) == set(expected),
        "missing": sorted(set(expected) - set(got))[:5],
        "extra": sorted(set(got) - set(expected))[:5],
        "shape_diff": sum(1 for k, v in expected.items() if k in got and got[k] != v) - transposed,
        "transposed": transposed,
        "trainable_equal": torch_side["trainable"] == port_side["trainable"],
        "trainable": [torch_side["trainable"], port_side["trainable"]],
        "load_error": port_side["load_error"],
        "not_loaded": port_side["not_loaded"],
    }


def run_one(name: str, depth: int, target: str, tmp: Path, keys: bool) -> dict:
    os.environ["PORTER_HF_LAYERS"] = str(depth)
    out = tmp / f"{name}-{depth}-{target}"
    row = {"model": name, "depth": depth, "target": target}
    start = time.perf_counter()
    try:
        porter.convert(f"{HERE / 'hf_models.py'}:{name}", target, out, dynamic=symbolic_dims()[name])
    except Exception as exc:  # a refusal is a row of the table, not the end of the run
        return {**row, "status": f"refused: {str(exc)[:120]}"}
    code = (out / "model.py").read_text()
    names = assigned_names(code)
    row.update(
        status="ok",
        convert_s=round(time.perf_counter() - start, 1),
        lines=len(code.splitlines()),
        classes=re.findall(r"^class (\w+)\(", code, re.M),
        names=len(names),
        numbered=sum(1 for n in names if NUMBERED.search(n)),
        loops=len(re.findall(r"^\s+for \w+ in self\.\w+:", code, re.M)),
    )
    if keys:
        try:
            row.update(compare_keys(name, target, out))
        except RuntimeError as exc:
            row["keys_error"] = str(exc)[:200]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(symbolic_dims()))
    parser.add_argument("--depths", default="2,4,8")
    parser.add_argument("--targets", default="paddle,mindspore")
    parser.add_argument("--json")
    args = parser.parse_args()
    depths = [int(d) for d in args.depths.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="porter-structure-") as tmp:
        for target in args.targets.split(","):
            for name in args.models.split(","):
                for depth in depths:
                    row = run_one(name, depth, target, Path(tmp), keys=depth == depths[0])
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    print(
        "\n| model | target | lines at "
        + " / ".join(map(str, depths))
        + " | classes | numbered names | keys and shapes | trainable | torch checkpoint loaded: error |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for target in args.targets.split(","):
        for name in args.models.split(","):
            mine = [r for r in rows if r["model"] == name and r["target"] == target and r["status"] == "ok"]
            if not mine:
                print(f"| {name} | {target} | refused | | | | | |")
                continue
            first = mine[0]
            lines = " / ".join(str(r["lines"]) for r in mine)
            numbered = max(r["numbered"] / max(1, r["names"]) for r in mine)
            keys = "equal" if first.get("keys_equal") else f"differ ({first.get('missing')}, {first.get('extra')})"
            if first.get("keys_equal"):
                differ = first.get("transposed", 0) + first.get("shape_diff", 0)
                keys += (
                    f", {differ} shapes differ ({first.get('transposed', 0)} transposed)" if differ else ", same shapes"
                )
            trainable = "equal" if first.get("trainable_equal") else str(first.get("trainable"))
            loaded = "" if "load_error" not in first else f"{first['not_loaded']} not loaded, {first['load_error']:.1e}"
            print(
                f"| {name} | {target} | {lines} | {', '.join(dict.fromkeys(first['classes']))} | {numbered:.0%} "
                f"| {keys} | {trainable} | {loaded} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
