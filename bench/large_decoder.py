"""Converting billion-parameter decoders on a 24 GiB machine: peak memory, time and parity (issue 16).

Builds a Llama/Qwen2-shaped decoder as an ONNX graph with onnx.helper, its weights written straight into
one external data file tensor by tensor (random, small std; never the whole model in memory), converts it
with `porter convert` to each target in a subprocess, and measures:

- peak RSS (the child's ru_maxrss) above the same command's peak on examples/tiny_cnn.onnx (the
  interpreter, porter and its imports), per weight byte;
- wall time against reading and writing the external data file's bytes (the disk reference), same run;
- parity on a small slice of inputs (batch 1, a few tokens): the port, loaded one tensor at a time in its
  own process, against a reference in another process.

The graph: token embedding (Gather), per layer RMSNorm, q/k/v projections (with biases for Qwen2),
rotary position embedding (cos/sin tables gathered at the positions, rotate-half), causal softmax
attention with grouped-query heads (q as [batch, kv_heads, group, seq, head_dim] against k/v as
[batch, kv_heads, 1, ...]: broadcasting, no repeated k/v), o projection, SwiGLU MLP, final RMSNorm, lm head
(tied to the embedding for Qwen2, as Qwen2-1.5B is). The nodes carry torch.onnx's module metadata
(name_scopes / class_hierarchy), so the port has the source's module tree and the layers in a loop. A bf16
model follows transformers' eager code: RMSNorm and softmax computed in float32 and cast back.

References: the forward is written once (`forward`) against two interpreters, one that emits ONNX nodes
and one that computes with numpy, op by op, in float32 with each op's output rounded to the op's ONNX
dtype (bf16 rounding where the graph is bf16, as a bf16 runtime rounds every op's output). The numpy
interpreter reads the weights memory-mapped, one at a time, so it runs where onnxruntime would need the
whole model; on fp32 models onnxruntime is run too, and the numpy reference is checked against it.

Run (the 7B's port holds 13.3 GiB while it is validated; each step checks free memory and disk first,
and the port's process is stopped if the machine gets under 2 GiB):
    timeout 3000 .venv/bin/python bench/large_decoder.py --model qwen2-1.5b --dtype float32 --dir /tmp/large
    timeout 5400 .venv/bin/python bench/large_decoder.py --model llama2-7b --dtype bfloat16 --pooled \
        --reference-gib 4 --targets mindspore,paddle --port-dir /dev/shm/large --dir /tmp/large
(--port-dir on tmpfs where the disk has no room for the model and its port at once; bench/README.md.)
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ml_dtypes
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convert_speed import ExternalWriter, cli_run, copy_bytes  # noqa: E402 (bench/ is not a package)

from porter.validators.profiles import load_profile  # noqa: E402
from porter.validators.verdict import judge  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    # Qwen2-1.5B's shape (config.json of Qwen/Qwen2-1.5B): 1.54B parameters with the tied head
    "qwen2-1.5b": dict(
        hidden=1536,
        layers=28,
        heads=12,
        kv_heads=2,
        intermediate=8960,
        vocab=151936,
        bias=True,
        tied=True,
        eps=1e-6,
        theta=1e6,
    ),
    # Llama-2-7B's shape (meta-llama/Llama-2-7b-hf): 6.74B parameters
    "llama2-7b": dict(
        hidden=4096,
        layers=32,
        heads=32,
        kv_heads=32,
        intermediate=11008,
        vocab=32000,
        bias=False,
        tied=False,
        eps=1e-5,
        theta=1e4,
    ),
    # the same graph in miniature, for trying the script (and the tests' bf16 model)
    "tiny": dict(
        hidden=64, layers=2, heads=4, kv_heads=2, intermediate=160, vocab=512, bias=True, tied=True, eps=1e-6, theta=1e4
    ),
}
MAX_POSITIONS = 1024  # rows of the rotary cos/sin tables
DTYPES = {"float32": np.dtype(np.float32), "bfloat16": np.dtype(ml_dtypes.bfloat16)}
_MODULES = "transformers.models.llama.modeling_llama"


def forward(ops, cfg: dict, ids):
    """The decoder, written once against an interpreter (`OnnxOps` builds the graph, `NumpyOps` computes)."""
    hidden, heads, kv, layers = cfg["hidden"], cfg["heads"], cfg["kv_heads"], cfg["layers"]
    head_dim, group = hidden // heads, heads // kv
    # small stds: the residual stream stays O(1) through every layer, the logits O(1)
    proj_std, out_std = 0.5 / hidden**0.5, 0.5 / (hidden * 2 * layers) ** 0.5
    down_std = 0.5 / (cfg["intermediate"] * 2 * layers) ** 0.5

    def linear(path, x, fan_in, fan_out, std, bias=False):
        with ops.scope(path, "torch.nn.modules.linear.Linear"):
            # [in, out] as MatMul takes it; both nodes are torch's aten.linear, as the exporter splits it
            y = ops.matmul(x, ops.weight(f"{path}.weight", [fan_in, fan_out], std), torch_op="linear")
            return ops.add(y, ops.weight(f"{path}.bias", [fan_out], 0.02), torch_op="linear") if bias else y

    def rms_norm(path, x):
        with ops.scope(path, f"{_MODULES}.LlamaRMSNorm"):
            xf = ops.to_float(x)
            var = ops.reduce_mean(ops.pow(xf, 2.0))
            normed = ops.mul(xf, ops.reciprocal(ops.sqrt(ops.add(var, ops.scalar(cfg["eps"], np.float32)))))
            return ops.mul(ops.weight(f"{path}.weight", [hidden], 0.1, mean=1.0), ops.to_model(normed))

    def rotary(x, cos, sin):
        half = head_dim // 2
        rotated = ops.concat(ops.neg(ops.slice_last(x, half, head_dim)), ops.slice_last(x, 0, half))
        return ops.add(ops.mul(x, cos), ops.mul(rotated, sin))

    with ops.scope("model", f"{_MODULES}.LlamaModel"):
        x = ops.gather(ops.weight("model.embed_tokens.weight", [cfg["vocab"], hidden], 1.0), ids, "model.embed_tokens")
        with ops.scope("model.rotary_emb", f"{_MODULES}.LlamaRotaryEmbedding"):
            positions = ops.positions(ids)
            inv_freq = 1.0 / cfg["theta"] ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
            angles = np.outer(np.arange(MAX_POSITIONS), inv_freq)
            angles = np.concatenate([angles, angles], axis=-1)
            cos = ops.to_model(ops.gather(ops.table("model.rotary_emb.cos", np.cos(angles)), positions))
            sin = ops.to_model(ops.gather(ops.table("model.rotary_emb.sin", np.sin(angles)), positions))
        masked = ops.causal_mask(positions)  # [seq, seq], true above the diagonal
        for i in range(layers):
            p = f"model.layers.{i}"
            with ops.scope(p, f"{_MODULES}.LlamaDecoderLayer"):
                h = rms_norm(f"{p}.input_layernorm", x)
                with ops.scope(f"{p}.self_attn", f"{_MODULES}.LlamaAttention"):
                    a = f"{p}.self_attn"
                    q = linear(f"{a}.q_proj", h, hidden, hidden, proj_std, cfg["bias"])
                    k = linear(f"{a}.k_proj", h, hidden, kv * head_dim, proj_std, cfg["bias"])
                    v = linear(f"{a}.v_proj", h, hidden, kv * head_dim, proj_std, cfg["bias"])
                    # [b, s, kv, group, d] -> [b, kv, group, s, d]; k and v with group 1 broadcast over q's
                    q = ops.transpose(ops.reshape(q, [0, 0, kv, group, head_dim]), [0, 2, 3, 1, 4])
                    k = ops.transpose(ops.reshape(k, [0, 0, kv, 1, head_dim]), [0, 2, 3, 1, 4])
                    v = ops.transpose(ops.reshape(v, [0, 0, kv, 1, head_dim]), [0, 2, 3, 1, 4])
                    q, k = rotary(q, cos, sin), rotary(k, cos, sin)
                    scores = ops.mul(ops.matmul(q, ops.transpose(k, [0, 1, 2, 4, 3])), ops.scalar(head_dim**-0.5))
                    scores = ops.where(masked, ops.scalar(-1e9), scores)
                    probs = ops.to_model(ops.softmax(ops.to_float(scores)))
                    ctx = ops.reshape(ops.transpose(ops.matmul(probs, v), [0, 3, 1, 2, 4]), [0, 0, hidden])
                    x = ops.add(x, linear(f"{a}.o_proj", ctx, hidden, hidden, out_std))
                h = rms_norm(f"{p}.post_attention_layernorm", x)
                with ops.scope(f"{p}.mlp", f"{_MODULES}.LlamaMLP"):
                    m = f"{p}.mlp"
                    gate = linear(f"{m}.gate_proj", h, hidden, cfg["intermediate"], proj_std)
                    up = linear(f"{m}.up_proj", h, hidden, cfg["intermediate"], proj_std)
                    act = ops.mul(gate, ops.sigmoid(gate))
                    x = ops.add(x, linear(f"{m}.down_proj", ops.mul(act, up), cfg["intermediate"], hidden, down_std))
        x = rms_norm("model.norm", x)
    if cfg["tied"]:  # Qwen2-1.5B's lm_head is the embedding matrix
        with ops.scope("lm_head", "torch.nn.modules.linear.Linear"):
            return ops.matmul(x, ops.transpose(ops.weight("model.embed_tokens.weight", None, None), [1, 0]))
    return linear("lm_head", x, hidden, cfg["vocab"], 1.0 / hidden**0.5)


class PooledWriter(ExternalWriter):
    """Normal values read from a pool drawn once (a prime number of them, so rows never line up), from a
    random start and with a random sign per tensor: fresh normals took most of the 1.5B's 105 s build on
    the shared 2-core machine (a 7B has 4.4 times as many), the pool takes a second."""

    POOL = 16_777_259  # a prime above 2**24

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool = self.rng.standard_normal(self.POOL, dtype=np.float32)

    def draw(self, shape: list[int]) -> np.ndarray:
        size = int(np.prod(shape))
        start = int(self.rng.integers(self.POOL))
        out = np.empty(size, dtype=np.float32)
        done = 0
        while done < size:  # the pool from `start` on, wrapped around as often as needed
            piece = self.pool[start : start + size - done]
            out[done : done + piece.size] = piece
            done += piece.size
            start = 0
        if self.rng.integers(2):
            np.negative(out, out=out)
        return out.reshape(shape)


class OnnxOps:
    """Emits the graph: weights into the external data file as they are first named, nodes with metadata."""

    def __init__(self, folder: Path, dtype: np.dtype, seed: int = 0, pooled: bool = False):
        self.writer = (PooledWriter if pooled else ExternalWriter)(folder, seed=seed, dtype=dtype)
        self.dtype = dtype
        self.onnx_dtype = helper.np_dtype_to_tensor_dtype(dtype)
        self.nodes: list[onnx.NodeProto] = []
        self.inline: list[TensorProto] = []
        self.chain: list[tuple[str, str]] = [("", "transformers.models.llama.modeling_llama.LlamaForCausalLM")]
        self.params = 0

    @contextlib.contextmanager
    def scope(self, path: str, cls: str):
        self.chain.append((path, cls))
        try:
            yield
        finally:
            self.chain.pop()

    def _node(self, op_type: str, inputs: list[str], torch_op: str | None = None, **attrs) -> str:
        out = f"{op_type.lower()}_{len(self.nodes)}"
        node = helper.make_node(op_type, inputs, [out], name=f"node_{out}", **attrs)
        torch_op = torch_op or op_type.lower()
        chain = [*self.chain, (torch_op, f"aten.{torch_op}.default")]
        node.metadata_props.add(key="pkg.torch.onnx.name_scopes", value=repr([p for p, _ in chain]))
        node.metadata_props.add(key="pkg.torch.onnx.class_hierarchy", value=repr([c for _, c in chain]))
        self.nodes.append(node)
        return out

    def _const(self, array: np.ndarray, name: str | None = None) -> str:
        name = name or f"const_{len(self.inline)}"
        self.inline.append(numpy_helper.from_array(array, name))
        return name

    def weight(self, name, shape, std, mean=0.0):
        if shape is None:  # an existing weight, used again (the tied lm head)
            return name
        self.params += int(np.prod(shape))
        return self.writer.add(name, shape, std, mean)

    def table(self, name, values):
        return self._const(values.astype(np.float32), name)

    def scalar(self, value, dtype=None):
        return self._const(np.array(value, dtype=dtype or self.dtype))

    def to_float(self, x):
        return x if self.dtype == np.float32 else self._node("Cast", [x], to=TensorProto.FLOAT)

    def to_model(self, x):
        return x if self.dtype == np.float32 else self._node("Cast", [x], to=self.onnx_dtype)

    def gather(self, table, ids, scope=None):
        if scope is None:
            return self._node("Gather", [table, ids], axis=0)
        with self.scope(scope, "torch.nn.modules.sparse.Embedding"):
            return self._node("Gather", [table, ids], torch_op="embedding", axis=0)

    def positions(self, ids):
        seq = self._node("Gather", [self._node("Shape", [ids]), self._const(np.array(1, np.int64))], axis=0)
        return self._node("Range", [self._const(np.array(0, np.int64)), seq, self._const(np.array(1, np.int64))])

    def causal_mask(self, positions):
        keys = self._node("Unsqueeze", [positions, self._const(np.array([0], np.int64))])
        queries = self._node("Unsqueeze", [positions, self._const(np.array([1], np.int64))])
        return self._node("Greater", [keys, queries])

    def matmul(self, a, b, torch_op=None):
        return self._node("MatMul", [a, b], torch_op)

    def add(self, a, b, torch_op=None):
        return self._node("Add", [a, b], torch_op)

    def mul(self, a, b):
        return self._node("Mul", [a, b])

    def pow(self, x, exponent):
        return self._node("Pow", [x, self.scalar(exponent, np.float32)])

    def reduce_mean(self, x):
        return self._node("ReduceMean", [x, self._const(np.array([-1], np.int64))], keepdims=1)

    def sqrt(self, x):
        return self._node("Sqrt", [x])

    def reciprocal(self, x):
        return self._node("Reciprocal", [x])

    def neg(self, x):
        return self._node("Neg", [x])

    def sigmoid(self, x):
        return self._node("Sigmoid", [x])

    def softmax(self, x):
        return self._node("Softmax", [x], axis=-1)

    def where(self, cond, a, b):
        return self._node("Where", [cond, a, b])

    def concat(self, a, b):
        return self._node("Concat", [a, b], axis=-1)

    def slice_last(self, x, start, end):
        consts = [self._const(np.array([v], np.int64)) for v in (start, end, -1)]
        return self._node("Slice", [x, *consts])

    def reshape(self, x, shape):
        return self._node("Reshape", [x, self._const(np.array(shape, np.int64))])

    def transpose(self, x, perm):
        return self._node("Transpose", [x], perm=perm)

    def save(self, folder: Path, name: str, logits: str) -> Path:
        self.writer.close()
        graph = helper.make_graph(
            self.nodes,
            name,
            [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
            [helper.make_tensor_value_info(logits, self.onnx_dtype, ["batch", "seq", None])],
            initializer=[*self.writer.tensors, *self.inline],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
        model.ir_version = 9
        path = folder / "model.onnx"
        path.write_bytes(model.SerializeToString())  # references only: the weights are in model.onnx_data
        return path


class NumpyOps:
    """Computes the same forward with the weights memory-mapped. As a runtime would (golden=False): float32
    arithmetic, each op's output rounded to its ONNX dtype. As the golden (golden=True): float64
    arithmetic throughout, nothing rounded (the weights' stored values, exactly)."""

    def __init__(self, model_path: Path, golden: bool = False):
        model = onnx.load(model_path, load_external_data=False)
        self.weights = {t.name: t for t in model.graph.initializer}
        self.folder = model_path.parent
        self.golden = golden
        self.compute = np.dtype(np.float64 if golden else np.float32)
        self.dtype = DTYPES["bfloat16" if any(t.data_type == TensorProto.BFLOAT16 for t in self.weights.values()) else "float32"]  # fmt: skip

    @contextlib.contextmanager
    def scope(self, path, cls):
        yield

    def weight(self, name, shape, std, mean=0.0):
        t = self.weights[name]
        info = {e.key: e.value for e in t.external_data}
        dtype = DTYPES["bfloat16"] if t.data_type == TensorProto.BFLOAT16 else np.dtype(np.float32)
        return np.memmap(self.folder / info["location"], dtype=dtype, mode="r", offset=int(info["offset"]), shape=tuple(t.dims))  # fmt: skip

    def table(self, name, values):
        return values.astype(self.compute)

    def scalar(self, value, dtype=None):
        return np.array(value, dtype=self.compute if self.golden else dtype or self.dtype)

    def _out(self, result: np.ndarray, *like) -> np.ndarray:
        """The op's output in the dtype ONNX gives it (its float inputs' dtype), or float64 for the golden."""
        if self.golden:
            return result
        dtype = next((np.dtype(a.dtype) for a in like if np.dtype(a.dtype) in DTYPES.values()), None)
        return result if dtype is None else result.astype(dtype)

    def _f(self, a):
        a = np.asarray(a)
        return a.astype(self.compute) if a.dtype.kind == "f" or a.dtype == DTYPES["bfloat16"] else a

    def to_float(self, x):
        return self._f(x)

    def to_model(self, x):
        return x if self.golden else np.asarray(x).astype(self.dtype)

    def gather(self, table, ids, scope=None):
        return np.asarray(table[np.asarray(ids)])

    def positions(self, ids):
        return np.arange(ids.shape[1], dtype=np.int64)

    def causal_mask(self, positions):
        return positions[None, :] > positions[:, None]

    def matmul(self, a, b, torch_op=None):
        return self._out(np.matmul(self._f(a), self._f(b)), a)

    def add(self, a, b, torch_op=None):
        return self._out(self._f(a) + self._f(b), a)

    def mul(self, a, b):
        return self._out(self._f(a) * self._f(b), a)

    def pow(self, x, exponent):
        return self._out(self._f(x) ** self._f(exponent), x)

    def reduce_mean(self, x):
        return self._out(self._f(x).mean(axis=-1, keepdims=True), x)

    def sqrt(self, x):
        return self._out(np.sqrt(self._f(x)), x)

    def reciprocal(self, x):
        return self._out(1 / self._f(x), x)

    def neg(self, x):
        return -x

    def sigmoid(self, x):
        return self._out(1 / (1 + np.exp(-self._f(x))), x)

    def softmax(self, x):
        f = self._f(x)
        e = np.exp(f - f.max(axis=-1, keepdims=True))
        return self._out(e / e.sum(axis=-1, keepdims=True), x)

    def where(self, cond, a, b):
        return np.where(cond, a, b).astype(b.dtype)

    def concat(self, a, b):
        return np.concatenate([a, b], axis=-1)

    def slice_last(self, x, start, end):
        return x[..., start:end]

    def reshape(self, x, shape):
        return x.reshape([x.shape[i] if d == 0 else d for i, d in enumerate(shape)])

    def transpose(self, x, perm):
        return np.transpose(x, perm)


def build(folder: Path, name: str, dtype: str, seed: int = 0, pooled: bool = False) -> tuple[Path, int, int]:
    """(model.onnx, weight bytes, parameters): the weights straight to model.onnx_data, one tensor at a time."""
    ops = OnnxOps(folder, DTYPES[dtype], seed, pooled)
    logits = forward(ops, CONFIGS[name], "input_ids")
    path = ops.save(folder, name.replace("-", "_").replace(".", "_"), logits)
    info = {**CONFIGS[name], "weight_bytes": ops.writer.bytes, "params": ops.params}
    (folder / "config.json").write_text(json.dumps(info))  # what the numpy interpreter rebuilds the forward from
    return path, ops.writer.bytes, ops.params


# ---- the port, in its own process, loaded one tensor at a time -------------------------------------
_RUN_PORT = r"""
import importlib.util, json, sys
import numpy as np
sys.path.insert(0, sys.argv[5])
from large_decoder import load_port_frugally
target, out, ids_path, y_path = sys.argv[1:5]
if target == "mindspore":
    import mindspore
    model = load_port_frugally(target, out)
    y = model(mindspore.Tensor(np.load(ids_path)))
    y = (y.astype(mindspore.float32) if y.dtype == mindspore.bfloat16 else y).asnumpy()
else:
    import paddle
    model = load_port_frugally(target, out)
    with paddle.no_grad():  # else autograd keeps every float32 cast of a bfloat16 weight: twice the model again
        y = model(paddle.to_tensor(np.load(ids_path)))
    y = (y.astype("float32") if y.dtype == paddle.bfloat16 else y).numpy()
np.save(y_path, y)
import resource
print("PORT_RSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def load_port_frugally(target: str, out: str):
    """The generated model with its weights set one tensor at a time (the generated load_model reads the
    whole weights file into a dict first: twice the weights in memory, which a 7B model does not fit)."""
    spec = importlib.util.spec_from_file_location("ported", Path(out) / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    class_name = json.loads((Path(out) / "report.json").read_text())["class_name"]
    model = getattr(module, class_name)()
    if target == "mindspore":
        import mindspore

        params = {p.name: p for p in model.get_parameters()}
        for name, array in _ckpt_tensors(Path(out) / "model.ckpt"):
            if array.dtype == DTYPES["bfloat16"]:
                params[name].set_data(mindspore.Tensor(array.astype(np.float32)).astype(mindspore.bfloat16))
            else:
                params[name].set_data(mindspore.Tensor(array))
        model.set_train(False)
    else:
        state = model.state_dict()
        with np.load(Path(out) / "model.npz", allow_pickle=False) as weights:
            for name in weights.files:
                state[name].set_value(weights[name])
        model.eval()
    return model


def _ckpt_tensors(path: Path):
    """(name, array) of a .ckpt in write_checkpoint's layout, memory-mapped one tensor at a time."""
    import mmap

    from porter.op_maps.mindspore._checkpoint import CKPT_TYPES
    from porter.protowire import fields

    names = {v: k for k, v in CKPT_TYPES.items()}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for entry in fields(data):
            (tag, tensor) = (None, None)
            for field in fields(data, entry.payload, entry.end):
                if field.number == 1:
                    tag = bytes(data[field.payload : field.end]).decode()
                elif field.number == 2:
                    tensor = field
            dims, type_name, content = [], None, None
            for field in fields(data, tensor.payload, tensor.end):
                if field.number == 1:
                    dims.append(field.value)
                elif field.number == 2:
                    type_name = bytes(data[field.payload : field.end]).decode()
                elif field.number == 3:
                    content = (field.payload, field.end)
            dtype = DTYPES["bfloat16"] if names[type_name] == "bfloat16" else np.dtype(names[type_name])
            array = np.frombuffer(
                data, dtype=dtype, count=(content[1] - content[0]) // dtype.itemsize, offset=content[0]
            )
            yield tag, array.reshape(dims).copy()
            del array


def reference_logits(model: Path, ids: np.ndarray, golden: bool) -> np.ndarray:
    """The numpy interpreter's logits: as a runtime computes them (float32; bf16 values exactly), or the
    float64 golden. The weights are memory-mapped: the golden of a 7B model needs one weight in float64."""
    cfg = json.loads((model.parent / "config.json").read_text())
    logits = np.asarray(forward(NumpyOps(model, golden=golden), cfg, ids))
    return logits.astype(np.float64 if golden else np.float32)


_RUN_REFERENCE = r"""
import sys
import numpy as np
sys.path.insert(0, sys.argv[5])
from pathlib import Path
from large_decoder import reference_logits
model, ids_path, source_path, golden_path = sys.argv[1:5]
np.save(source_path, reference_logits(Path(model), np.load(ids_path), golden=False))
np.save(golden_path, reference_logits(Path(model), np.load(ids_path), golden=True))
"""

_RUN_ORT = r"""
import sys
import numpy as np
import onnxruntime as ort
model, ids_path, y_path = sys.argv[1:4]
options = ort.SessionOptions()
options.add_session_config_entry("session.disable_prepacking", "1")  # no second, packed copy of the weights
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
np.save(y_path, session.run(None, {"input_ids": np.load(ids_path)})[0].astype(np.float32))
"""


def _child(script: str, *args) -> None:
    subprocess.run([sys.executable, "-c", script, *map(str, args)], check=True)


def errors(got: np.ndarray, ref: np.ndarray, dtype: str) -> dict:
    """Error figures, and the share of elements outside porter's cpu profile for the model's dtype
    (|got - ref| <= atol + rtol * |ref|, validators/profiles.json)."""
    bounds = load_profile("cpu").bounds(dtype)
    diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    return {
        "profile": f"cpu {dtype}: atol {bounds.atol}, rtol {bounds.rtol}",
        "outside_profile": float(np.mean(diff > bounds.atol + bounds.rtol * np.abs(ref))),
        "max_abs": float(diff.max()),
        "max_abs_over_max_ref": float(diff.max() / max(1.0, float(np.abs(ref).max()))),
        "mean_abs": float(diff.mean()),
        "max_abs_ref": float(np.abs(ref).max()),
        "cosine": float(np.sum(got * ref) / (np.linalg.norm(got) * np.linalg.norm(ref))),
        "argmax_agree": float(np.mean(got.argmax(-1) == ref.argmax(-1))),
    }


def mem_available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def require_memory(need: int, what: str) -> None:
    """The shared machine's rule: start only with the expected peak plus 4 GiB available."""
    available = mem_available()
    if available < need + (4 << 30):
        raise SystemExit(f"{what}: {available / 2**30:.1f} GiB available, need {need / 2**30:.1f} + 4 GiB: not started")


def watched(command: list) -> str:
    """Run a child that may take most of the machine's memory; stop it before the shared machine runs out
    (2 GiB left), rather than let the kernel's OOM killer choose. Returns its stdout."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([str(c) for c in command], stdout=out, stderr=err, text=True)
        while child.poll() is None:
            if mem_available() < 2 << 30:
                child.kill()
                child.wait()
                raise SystemExit(f"stopped {command[3]} port: under 2 GiB of memory left on the machine")
            time.sleep(0.5)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise SystemExit(f"{command[3]} port failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return stdout


def require_disk(need: int, what: str, folder: Path = Path("/tmp")) -> None:
    """Leave the shared disk 2 GiB beyond what this step writes."""
    free = shutil.disk_usage(folder).free
    if free < need + (2 << 30):
        raise SystemExit(f"{what}: {free / 2**30:.1f} GiB free on disk, need {need / 2**30:.1f} + 2 GiB: not started")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(CONFIGS), default="tiny")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    parser.add_argument("--targets", default="paddle,mindspore")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/large"))
    parser.add_argument("--tokens", type=int, default=4, help="sequence length of the validation slice")
    parser.add_argument("--keep", action="store_true", help="keep the model and the ports")
    parser.add_argument("--reference-gib", type=float, default=None, help="time the disk on this prefix only")
    parser.add_argument(
        "--port-dir",
        type=Path,
        default=None,
        help="write the ports here (a tmpfs such as /dev/shm/large when the disk has no room for model and port:"
        " each port then replaces the model's data on disk before it is validated, the references computed first)",
    )
    parser.add_argument("--reuse", action="store_true", help="reuse a model already built in --dir")
    parser.add_argument(
        "--validate-kept",
        action="store_true",
        help="only validate the ports a --keep run left in --dir (its references)",
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--pooled", action="store_true", help="weights from a pool of normals (fast; PooledWriter)")
    args = parser.parse_args()
    folder = args.dir / f"{args.model}-{args.dtype}"
    folder.mkdir(parents=True, exist_ok=True)
    bench = Path(__file__).resolve().parent
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB; python {platform.python_version()}; onnx {onnx.__version__}")  # fmt: skip
    model = folder / "model.onnx"
    if (args.reuse or args.validate_kept) and model.exists():
        info = json.loads((folder / "config.json").read_text())
        weight_bytes, params = info["weight_bytes"], info["params"]
    else:
        per_param = DTYPES[args.dtype].itemsize
        layers_params = {"llama2-7b": 6.8e9, "qwen2-1.5b": 1.6e9}.get(args.model, 1e6)
        require_disk(int(layers_params * per_param), "building the model")
        start = time.perf_counter()
        model, weight_bytes, params = build(folder, args.model, args.dtype, pooled=args.pooled)
        info = json.loads((folder / "config.json").read_text())
        print(f"built in {time.perf_counter() - start:.1f} s")
    onnx_nodes = len(onnx.load(model, load_external_data=False).graph.node)
    print(f"{args.model} {args.dtype}: {params / 1e9:.3f}B parameters, {weight_bytes / 2**30:.2f} GiB of weights, {onnx_nodes} nodes, .onnx {model.stat().st_size / 2**20:.1f} MiB")  # fmt: skip
    data = folder / "model.onnx_data"
    port_dir = folder if args.port_dir is None else args.port_dir
    port_dir.mkdir(parents=True, exist_ok=True)
    copy = port_dir / "copy.bin"  # the reference writes where the ports are written
    sample = weight_bytes if args.reference_gib is None else min(weight_bytes, int(args.reference_gib * 2**30))
    results_disk = {}
    if not args.validate_kept:
        require_disk(0 if port_dir != folder else sample, "the disk reference")
        start = time.perf_counter()
        copy_bytes([data], copy, limit=sample)
        disk_s = (time.perf_counter() - start) * weight_bytes / sample  # a prefix's time, scaled to the whole
        copy.unlink()
        print(f"disk reference (read + write {sample / 2**30:.2f} of {weight_bytes / 2**30:.2f} GiB, scaled to the whole): {disk_s:.1f} s")  # fmt: skip
        results_disk = {"disk_s": disk_s, "disk_sample_bytes": sample}

    ids = np.random.default_rng(1).integers(0, info["vocab"], size=(1, args.tokens), dtype=np.int64)
    np.save(folder / "ids.npy", ids)
    start = time.perf_counter()
    if not ((args.reuse or args.validate_kept) and (folder / "ref.npy").exists() and (folder / "golden.npy").exists()):
        _child(_RUN_REFERENCE, model, folder / "ids.npy", folder / "ref.npy", folder / "golden.npy", bench)
    reference, golden = np.load(folder / "ref.npy"), np.load(folder / "golden.npy")
    print(f"numpy references (runtime-like and float64 golden): {time.perf_counter() - start:.0f} s")
    source_name = f"numpy interpreter ({args.dtype} per op, float32 math)"
    results = {"model": args.model, "dtype": args.dtype, "params": params, "weight_bytes": weight_bytes,
               "nodes": onnx_nodes, **results_disk, "targets": {}}  # fmt: skip
    if args.dtype == "float32" and not args.validate_kept:  # onnxruntime holds the whole model: about the weight bytes
        require_memory(int(weight_bytes * 1.3), "onnxruntime reference")
        _child(_RUN_ORT, model, folder / "ids.npy", folder / "ort.npy")
        ort_logits = np.load(folder / "ort.npy")
        results["numpy_vs_onnxruntime"] = errors(reference, ort_logits, args.dtype)
        print("numpy interpreter vs onnxruntime:", results["numpy_vs_onnxruntime"])
        reference, source_name = ort_logits, "onnxruntime"
    results["source"] = source_name
    dtype = DTYPES[args.dtype]
    profile = load_profile("cpu")

    tiny = ROOT / "examples" / "tiny_cnn.onnx"
    in_ram = port_dir != folder  # ports written to tmpfs: the memory they take is not the converter's
    converted = {}
    for target in [t for t in args.targets.split(",") if t and not args.validate_kept]:
        base = min(cli_run(["convert", str(tiny), "--to", target, "-o", str(folder / "tiny"), "--force"])[0] for _ in range(2))  # fmt: skip
        out = port_dir / f"port-{target}"
        require_memory(int(weight_bytes * (1.15 if in_ram else 0.5)), f"porter convert --to {target}")
        require_disk(0 if in_ram else int(weight_bytes * 1.1), f"porter convert --to {target}")
        try:
            peak, wall_s = cli_run(["convert", str(model), "--to", target, "-o", str(out), "--force"])
        except RuntimeError as refused:  # a refusal (exit 2) is a result too: recorded, the next target runs
            reason = next((ln for ln in str(refused).splitlines() if ln.startswith("error:")), str(refused))
            print(f"{target}: not converted: {reason}")
            results["targets"][target] = {"refused": reason}
            continue
        net = (peak - base) / weight_bytes
        out_bytes = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
        print(f"{target}: convert {wall_s:.1f} s ({wall_s / disk_s:.2f}x the disk), peak RSS {peak / 2**30:.2f} GiB, baseline {base / 2**30:.2f} GiB, (peak - baseline) / weights {net:.3f}, output {out_bytes / 2**30:.2f} GiB")  # fmt: skip
        results["targets"][target] = {"wall_s": wall_s, "peak": peak, "baseline": base, "net": net, "out_bytes": out_bytes}  # fmt: skip
        converted[target] = out
        if in_ram:  # one port in RAM at a time: to the disk, in place of the source it was converted from
            data.unlink(missing_ok=True)
            out = converted[target] = Path(shutil.move(out, folder / out.name))
    if args.validate_kept:
        kept = {t: folder / f"port-{t}" for t in args.targets.split(",") if (folder / f"port-{t}").is_dir()}
        converted.update(kept)
        results["targets"].update({t: {} for t in kept})
    for target, out in converted.items():
        require_memory(int(weight_bytes * 1.12), f"validating the {target} port")  # the weights + ~1 GiB
        start = time.perf_counter()
        y_path = folder / f"y_{target}.npy"
        stdout = watched([sys.executable, "-c", _RUN_PORT, target, out, folder / "ids.npy", y_path, bench])
        port_rss = int(next(ln for ln in stdout.splitlines() if ln.startswith("PORT_RSS")).split()[1]) * 1024
        got = np.load(y_path)
        error = errors(got, reference, args.dtype)
        verdict = judge(got.astype(dtype), reference.astype(dtype), golden, profile)
        error["verdict"] = {k: verdict.get(k) for k in ("passed", "reason", "golden_ratios")}
        print(f"{target} port vs {source_name} ({time.perf_counter() - start:.0f} s, port RSS {port_rss / 2**30:.2f} GiB):", error)  # fmt: skip
        results["targets"][target].update(port_rss=port_rss, error=error)
        if not args.keep:
            shutil.rmtree(out)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if port_dir != folder:
        shutil.rmtree(port_dir, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
