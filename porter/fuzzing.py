"""Fuzzing porter: mutated model files must convert or be refused with porter's own error (never crash,
hang or raise anything else), and random valid graphs must convert to code that matches onnxruntime.

Both run in crash-isolated workers (porter.workers), so a segfault or a hang in onnx's C++ code or a
framework kernel is counted, not fatal. `scripts/fuzz.py` runs a campaign; tests run a seeded slice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

# ---- mutations of real files ------------------------------------------------------------------


def seed_models() -> list[bytes]:
    """Real model files to mutate: the shipped example, the small zoo CNNs, and node-suite models."""
    from porter.zoo import model_path

    here = Path(__file__).resolve().parent.parent
    files = [here / "examples" / "tiny_cnn.onnx"] + [
        model_path(n) for n in ("bvlc_alexnet", "zfnet512", "vgg19", "squeezenet")
    ]
    seeds = [f.read_bytes() for f in files if f.exists()]
    from porter.conformance import collect_cases

    seeds += [c.model for c in collect_cases()[::40]]
    return seeds


def mutate(data: bytes, rng: random.Random, other: bytes | None = None) -> bytes:
    """Flip bits, cut, splice in bytes of another model, duplicate a region, or overwrite with noise."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("flip", "cut", "splice", "duplicate", "noise"))
        if not buf:
            break
        at = rng.randrange(len(buf))
        if kind == "flip":
            buf[at] ^= 1 << rng.randrange(8)
        elif kind == "cut":
            del buf[at : at + rng.randint(1, max(1, len(buf) // 8))]
        elif kind == "splice" and other:
            start = rng.randrange(len(other))
            buf[at:at] = other[start : start + rng.randint(1, 256)]
        elif kind == "duplicate":
            buf[at:at] = buf[at : at + rng.randint(1, 64)]
        else:
            for i in range(at, min(len(buf), at + rng.randint(1, 16))):
                buf[i] = rng.randrange(256)
    return bytes(buf)


def convert_bytes(payload: dict) -> tuple[str, str]:
    """Worker entry: ("converted" | "refused" | "bug", detail) for converting payload["model"]."""
    from porter.convert import generate
    from porter.errors import PorterError

    try:
        generate(payload["model"], payload["target"])
    except PorterError as exc:
        return "refused", str(exc)[:200]
    except Exception as exc:  # anything else escaping porter is a bug the fuzzer found
        return "bug", f"{type(exc).__name__}: {str(exc)[:300]}"
    return "converted", ""


# ---- random valid graphs ---------------------------------------------------------------------

_UNARY = ("Abs", "Neg", "Relu", "Sigmoid", "Tanh", "Exp", "Sqrt", "Floor", "Ceil", "Softsign")
_BINARY = ("Add", "Sub", "Mul", "Max", "Min")
_REDUCE = ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin")


@dataclass
class GraphBuilder:
    rng: random.Random
    nodes: list = field(default_factory=list)
    inits: list = field(default_factory=list)
    counter: int = 0

    def name(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    def const(self, array: np.ndarray) -> str:
        name = self.name("c")
        self.inits.append(onnx.numpy_helper.from_array(array, name))
        return name

    def step(self, value: str, shape: list[int]) -> tuple[str, list[int]]:
        """Append one random op to the chain; returns the new value and its shape."""
        rng = self.rng
        family = rng.choice(("unary", "unary", "binary", "binary", "shape", "reduce"))
        out = self.name("v")
        if family == "unary":
            op = rng.choice(_UNARY)
            if op == "Sqrt":  # keep the domain valid: sqrt(|x|)
                absolute = self.name("abs")
                self.nodes.append(helper.make_node("Abs", [value], [absolute]))
                value = absolute
            if op == "Exp":  # keep it bounded: exp(tanh(x))
                bounded = self.name("tanh")
                self.nodes.append(helper.make_node("Tanh", [value], [bounded]))
                value = bounded
            self.nodes.append(helper.make_node(op, [value], [out]))
            return out, shape
        if family == "binary":
            other_shape = [d if rng.random() < 0.7 else 1 for d in shape][rng.randint(0, len(shape)) :]
            other = self.const(
                np.asarray(np.random.default_rng(rng.randrange(2**31)).standard_normal(other_shape), np.float32)
            )
            args = [value, other] if rng.random() < 0.5 else [other, value]
            self.nodes.append(helper.make_node(rng.choice(_BINARY), args, [out]))
            return out, shape
        if family == "shape":
            kind = rng.choice(("transpose", "reshape", "unsqueeze", "concat", "slice"))
            if kind == "transpose" and len(shape) > 1:
                perm = list(range(len(shape)))
                rng.shuffle(perm)
                self.nodes.append(helper.make_node("Transpose", [value], [out], perm=perm))
                return out, [shape[p] for p in perm]
            if kind == "reshape":
                self.nodes.append(helper.make_node("Reshape", [value, self.const(np.array([-1], np.int64))], [out]))
                return out, [int(np.prod(shape))]
            if kind == "unsqueeze" and len(shape) < 4:
                axis = rng.randint(0, len(shape))
                self.nodes.append(helper.make_node("Unsqueeze", [value, self.const(np.array([axis], np.int64))], [out]))
                return out, shape[:axis] + [1] + shape[axis:]
            if kind == "concat":
                axis = rng.randrange(len(shape))
                self.nodes.append(helper.make_node("Concat", [value, value], [out], axis=axis))
                return out, [d * 2 if i == axis else d for i, d in enumerate(shape)]
            axis = rng.randrange(len(shape))
            start = rng.randint(0, max(0, shape[axis] - 1))
            args = [
                value,
                self.const(np.array([start], np.int64)),
                self.const(np.array([shape[axis]], np.int64)),
                self.const(np.array([axis], np.int64)),
            ]
            self.nodes.append(helper.make_node("Slice", args, [out]))
            return out, [shape[axis] - start if i == axis else d for i, d in enumerate(shape)]
        if len(shape) > 1:
            axis = rng.randrange(len(shape))
            keep = rng.random() < 0.5
            self.nodes.append(
                helper.make_node(
                    rng.choice(_REDUCE), [value, self.const(np.array([axis], np.int64))], [out], keepdims=int(keep)
                )
            )
            return out, [1 if i == axis else d for i, d in enumerate(shape)] if keep else shape[:axis] + shape[
                axis + 1 :
            ]
        self.nodes.append(helper.make_node("Relu", [value], [out]))
        return out, shape


def random_graph(rng: random.Random, steps: int | None = None) -> tuple[onnx.ModelProto, np.ndarray]:
    """A valid random chain (elementwise, shape, reductions) and an input for it."""
    shape = [rng.randint(1, 5) for _ in range(rng.randint(1, 4))]
    builder = GraphBuilder(rng)
    value, current = "x", list(shape)
    for _ in range(steps or rng.randint(1, 8)):
        value, current = builder.step(value, current)
    graph = helper.make_graph(
        builder.nodes,
        "fuzz",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(value, TensorProto.FLOAT, current)],
        initializer=builder.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    x = np.random.default_rng(rng.randrange(2**31)).standard_normal(shape).astype(np.float32)
    return model, x


def reference_outputs(model: onnx.ModelProto, x: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})


# ---- mutated checkpoints ----------------------------------------------------------------------------


def seed_checkpoints(folder: Path) -> list[tuple[str, bytes]]:
    """(suffix, bytes) of real checkpoints to mutate: a safetensors file and a torch state_dict of the
    shipped example's weights (written by torch in its own process, as porter reads them)."""
    from porter import launcher
    from porter.checkpoints import SAFETENSORS_DTYPES

    model = onnx.load(Path(__file__).resolve().parent.parent / "examples" / "tiny_cnn.onnx")
    state = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    codes = {v: k for k, v in SAFETENSORS_DTYPES.items()}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, array in state.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": codes[array.dtype.name], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}  # fmt: skip
        blobs.append(data)
        offset += len(data)
    import json
    import struct

    text = json.dumps(header).encode()
    seeds = [(".safetensors", struct.pack("<Q", len(text)) + text + b"".join(blobs))]
    np.savez(folder / "state.npz", **state)
    code = (
        "import sys, numpy as np, torch\n"
        "d = np.load(sys.argv[1])\n"
        "torch.save({k: torch.from_numpy(d[k]) for k in d.files}, sys.argv[2])\n"
    )
    launcher.run(launcher.python_command(None, folder / "state.npz", folder / "state.pt", code=code), "torch.save", timeout=600)  # fmt: skip
    seeds.append((".pt", (folder / "state.pt").read_bytes()))
    return seeds


def read_checkpoint_bytes(payload: dict) -> tuple[str, str]:
    """Worker entry: ("read" | "refused" | "bug", detail) for reading mutated checkpoint bytes the way
    `porter weights` does (safetensors here; a .pt through the torch reader's own entry point)."""
    import sys
    import tempfile

    from porter.errors import PorterError
    from porter.weights import dump_checkpoint, read_safetensors

    with tempfile.TemporaryDirectory(prefix="porter-fuzz-") as tmp:
        path = Path(tmp) / f"checkpoint{payload['suffix']}"
        path.write_bytes(payload["data"])
        try:
            if payload["suffix"] == ".safetensors":
                for array in read_safetensors(path).values():
                    np.asarray(array).sum()  # touch every byte the header promised
                return "read", ""
            stderr, sys.stderr = sys.stderr, open(Path(tmp) / "stderr", "w")  # noqa: SIM115
            try:
                code = dump_checkpoint(str(path), tmp)
            finally:
                sys.stderr.close()
                sys.stderr = stderr
            return ("read", "") if code == 0 else ("refused", (Path(tmp) / "stderr").read_text()[:200])
        except PorterError as exc:
            return "refused", str(exc)[:200]
        except Exception as exc:  # anything else escaping porter is a bug the fuzzer found
            return "bug", f"{type(exc).__name__}: {str(exc)[:300]}"


# ---- mutated bundle results files ---------------------------------------------------------------------

_HOSTILE_VALUES = [None, True, -1, 2**70, 1e308, "", "../../../../etc/passwd", "/dev/zero", "[/]\x1b[2J",
                   "<script>", [], {}, [[[]]], {"passed": True}]  # fmt: skip


def mutate_json(value, rng: random.Random):
    """A copy of a JSON value with one to three structural edits: a leaf replaced by a hostile value, a
    key dropped, a list element dropped or duplicated, or a verdict flipped to passed."""
    import copy

    value = copy.deepcopy(value)
    for _ in range(rng.randint(1, 3)):
        containers, stack = [], [value]
        while stack:
            node = stack.pop()
            if isinstance(node, dict | list) and node:
                containers.append(node)
                stack.extend(node.values() if isinstance(node, dict) else node)
        if not containers:
            break
        node = rng.choice(containers)
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        kind = rng.choice(("replace", "replace", "drop", "duplicate", "pass"))
        if kind == "replace":
            node[key] = rng.choice(_HOSTILE_VALUES)
        elif kind == "drop":
            del node[key]
        elif kind == "duplicate" and isinstance(node, list):
            node.insert(key, copy.deepcopy(node[key]))
        elif isinstance(node, dict) and "passed" in node:
            node["passed"] = True
    return value


def judge_results_bytes(payload: dict) -> tuple[str, str]:
    """Worker entry: ("failed" | "refused" | "forged-pass" | "bug", detail) for `porter report` on a
    mutated results.json of a bundle whose honest verdict is FAIL: any PASS is a forgery let through."""
    import os

    from porter.errors import PorterError
    from porter.validators.bundle import judge_results

    path = Path(payload["folder"]) / f"fuzz-{os.getpid()}.json"
    path.write_bytes(payload["data"])
    try:
        result = judge_results(path)
    except PorterError as exc:
        return "refused", str(exc)[:200]
    except Exception as exc:  # anything else escaping porter is a bug the fuzzer found
        return "bug", f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        path.unlink(missing_ok=True)
    return ("forged-pass", "a mutated results file judged PASS") if result["passed"] else ("failed", "")
