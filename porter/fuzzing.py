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
