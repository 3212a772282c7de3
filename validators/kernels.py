"""`porter kernels`: every mapped op, on the target device, against the fp64 golden, per dtype.

Cases per op: the ONNX node-suite cases for it (single-node ones; shipped in the onnx wheel), the same
cases recast to float16 / bfloat16 (graph types, weights and inputs), and generated cases: fresh seeded
random values at the suite's shapes, plus random broadcasting shapes for elementwise ops. Each case is
converted here, run in a crash-isolated worker on the device, and judged against onnxruntime (the
"source": a reference implementation, as a third-party chip is in CANN's double-benchmark standard)
and the fp64 golden, under every shipped profile. The table answers, before a team commits to a chip:
which kernels are within tolerance there, at which dtype, and which are not.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from porter.validators.golden import golden_outputs
from porter.validators.metrics import compare, ulp_distance
from porter.validators.profiles import DEVICE_CLASSES, load_profile
from porter.validators.verdict import judge

DTYPE_FLAGS = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
EXACT_COLUMN = "int/bool"  # cases whose inputs hold no floats: exact results, one column for all
_ONNX_FLOAT = {"float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16, "bfloat16": TensorProto.BFLOAT16}

# Elementwise ops that take any shape (binary ones broadcast): generated shapes make sense for them.
# Values stay in each op's domain; the domain is the why of every entry that is not the default.
_UNARY = {
    "Abs": None, "Neg": None, "Relu": None, "Sigmoid": None, "Tanh": None, "Exp": None, "Erf": None, "Sin": None,
    "Cos": None, "Atan": None, "Sinh": None, "Asinh": None, "Softplus": None, "Softsign": None, "Floor": None,
    "Ceil": None, "Round": None, "Sign": None, "Elu": None, "Selu": None, "HardSigmoid": None, "Mish": None,
    "Log": "positive", "Sqrt": "positive", "Reciprocal": "positive",
    "Acos": "unit", "Asin": "unit", "Atanh": "unit", "Acosh": "above-one", "Tan": "unit", "Cosh": None,
}  # fmt: skip
_BINARY = {"Add": None, "Sub": None, "Mul": None, "Div": "positive", "Max": None, "Min": None, "Pow": "positive"}


@dataclass
class KernelCase:
    id: str
    op_type: str
    column: str  # a float dtype name, or EXACT_COLUMN
    origin: str  # suite:<case name> | recast:<case name> | random-values:<case name> | random-shape:<shape>
    model: bytes
    inputs: list
    # the second call's inputs: same shapes and dtypes, fresh values. Every case runs twice on one loaded
    # model, because a kernel can be exact on its first call and wrong on later calls with new tensors of
    # the same shape (measured on MindSpore's CPU kernels), which a one-call sweep never sees
    again: list = field(default_factory=list)


@dataclass
class Sweep:
    target: str
    device: str
    seed: int
    dtypes: list[str]
    results: list[dict] = field(default_factory=list)


def _column(arrays: list[np.ndarray]) -> str:
    for a in arrays:
        name = np.asarray(a).dtype.name
        if name in ("float32", "float16", "bfloat16", "float64"):
            return name
    return EXACT_COLUMN


def _values(rng, shape, dtype, domain):
    if domain == "positive":
        x = rng.uniform(0.1, 4.0, shape)
    elif domain == "unit":
        x = rng.uniform(-0.9, 0.9, shape)
    elif domain == "above-one":
        x = rng.uniform(1.1, 4.0, shape)
    else:
        x = rng.standard_normal(shape) * 2
    return x.astype(dtype)


def _data_positions(model: onnx.ModelProto) -> set[int]:
    """Graph inputs that are the op's data: typed like its first output in the schema (T), unlike
    parameters such as Resize's scales, OneHot's depth or Pow's exponent, which keep their values and
    dtype when the sweep generates values or recasts."""
    node = model.graph.node[0]
    opset = {i.domain or "": i.version for i in model.opset_import}.get(node.domain or "", 1)
    try:
        schema = onnx.defs.get_schema(node.op_type, opset, node.domain)
    except onnx.defs.SchemaError:
        return set()
    data_type = schema.outputs[0].type_str if schema.outputs else None
    position = {name: i for i, name in enumerate(node.input) if name}
    graph_inputs = [vi.name for vi in model.graph.input]
    return {
        k for k, name in enumerate(graph_inputs)
        if name in position and schema.inputs[min(position[name], len(schema.inputs) - 1)].type_str == data_type
    }  # fmt: skip


def _params_as_constants(model: onnx.ModelProto, inputs: list) -> tuple[bytes, list] | None:
    """The case with its parameter inputs (not the op's data) as initializers, as real models hold them
    (BatchNorm statistics, Resize scales, pads): None if it has no parameter fed as a graph input."""
    data = _data_positions(model)
    params = [k for k, vi in enumerate(model.graph.input) if k not in data and k < len(inputs)]
    if not params or not data:
        return None
    model = onnx.ModelProto.FromString(model.SerializeToString())
    keep = [vi for k, vi in enumerate(model.graph.input) if k not in params]
    for k in params:
        model.graph.initializer.append(onnx.numpy_helper.from_array(np.asarray(inputs[k]), model.graph.input[k].name))
    del model.graph.input[:]
    model.graph.input.extend(keep)
    return model.SerializeToString(), [a for k, a in enumerate(inputs) if k not in params]


def _fresh_values(arrays: list[np.ndarray], data: set[int], rng) -> list[np.ndarray] | None:
    """Same shapes and dtypes, new random values for the float data inputs (None when there are none)."""
    if not any(np.asarray(a).dtype.kind == "f" for k, a in enumerate(arrays) if k in data):
        return None
    out = []
    for k, a in enumerate(arrays):
        a = np.asarray(a)
        if k not in data or a.dtype.kind != "f":
            out.append(a)
            continue
        x = rng.standard_normal(a.shape)
        if a.size and ((a >= 0).all() or (a <= 0).all()):  # keep a one-signed domain (Log, Sqrt, ...)
            x = np.abs(x) * (1.0 if (a >= 0).all() else -1.0)
        out.append(x.astype(a.dtype))
    return out


def _second_call(arrays: list, data: set[int], rng) -> list:
    """The inputs of a case's second call: new values for every data input (floats resampled keeping a
    one-signed domain; integers and booleans permuted, so no new value such as a zero divisor appears),
    parameters kept."""
    fresh = _fresh_values(arrays, data, rng) or [np.asarray(a) for a in arrays]
    out = []
    for k, a in enumerate(fresh):
        a = np.asarray(a)
        if k in data and a.size > 1 and a.dtype.kind in "iub":
            a = rng.permutation(a.reshape(-1)).reshape(a.shape)
        out.append(a)
    return out


def second_call_inputs(model: onnx.ModelProto, arrays: list, rng) -> list:
    """Inputs for calling a one-node model again: fresh values for its data inputs, parameters kept."""
    return _second_call(arrays, _data_positions(model), rng)


def _with_second_calls(cases: list[KernelCase], rng) -> list[KernelCase]:
    for case in cases:
        case.again = second_call_inputs(onnx.load_model_from_string(case.model), case.inputs, rng)
    return cases


def _recast_case(
    model: onnx.ModelProto, inputs: list, dtype: str, source: int = TensorProto.FLOAT
) -> tuple[onnx.ModelProto, list] | None:
    """The case with its `source`-typed data inputs and outputs in `dtype`; None if that is not valid ONNX."""
    data = _data_positions(model)
    elem = _ONNX_FLOAT[dtype]
    model = onnx.ModelProto.FromString(model.SerializeToString())
    names = {model.graph.input[k].name for k in data}
    for vi in model.graph.input:
        if vi.name in names and vi.type.tensor_type.elem_type == source:
            vi.type.tensor_type.elem_type = elem
    for vi in model.graph.output:
        if vi.type.tensor_type.elem_type == source:
            vi.type.tensor_type.elem_type = elem
    if not _valid(model):  # e.g. outputs the op defines as float32 whatever its input: no such case
        return None
    np_dtype = onnx.helper.tensor_dtype_to_np_dtype(elem)
    with np.errstate(over="ignore"):  # float16 overflows to inf, as it would on the chip
        from_dtype = onnx.helper.tensor_dtype_to_np_dtype(source)
        cast = [np.asarray(a).astype(np_dtype) if k in data and np.asarray(a).dtype == from_dtype else a
                for k, a in enumerate(inputs)]  # fmt: skip
    return model, cast


def _valid(model: onnx.ModelProto) -> bool:
    try:
        onnx.checker.check_model(model)
        onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception:
        return False
    return True


def _random_shape_case(op_type: str, arity: int, domain, dtype: str, rng, n: int) -> KernelCase:
    rank = int(rng.integers(1, 5))
    shape = [int(d) for d in rng.integers(1, 8, rank)]
    shapes = [shape]
    if arity == 2:  # broadcast the second operand over a random subset of axes
        other = [d if rng.random() < 0.6 else 1 for d in shape][int(rng.integers(0, rank)) :]
        shapes.append(other or [1])
    names = ["a", "b"][:arity]
    elem = _ONNX_FLOAT[dtype]
    node = helper.make_node(op_type, names, ["y"])
    graph = helper.make_graph(
        [node],
        f"{op_type}_random",
        [helper.make_tensor_value_info(nm, elem, s) for nm, s in zip(names, shapes)],
        [helper.make_tensor_value_info("y", elem, list(np.broadcast_shapes(*map(tuple, shapes))))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    np_dtype = onnx.helper.tensor_dtype_to_np_dtype(elem)
    inputs = [_values(rng, s, np.float32, domain).astype(np_dtype) for s in shapes]
    return KernelCase(
        f"{op_type}/random-shape-{dtype}-{n}",
        op_type,
        dtype,
        f"random-shape:{shapes}",
        model.SerializeToString(),
        inputs,
    )


def _single_node_case(
    op_type: str, attrs: dict, shape: list[int], dtype: str, rng, tag: str, consts: dict | None = None
) -> KernelCase:
    """A generated one-input case (for what the node suite has no case for), output shape by inference.
    consts: further node inputs, as initializers (pads, axes), in order after x."""
    elem = _ONNX_FLOAT[dtype]
    consts = consts or {}
    graph = helper.make_graph(
        [helper.make_node(op_type, ["x", *consts], ["y"], **attrs)], f"{op_type}_generated",
        [helper.make_tensor_value_info("x", elem, shape)], [helper.make_tensor_value_info("y", elem, None)],
        initializer=[onnx.numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()],
    )  # fmt: skip
    model = onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]))
    x = rng.standard_normal(shape).astype(onnx.helper.tensor_dtype_to_np_dtype(elem))
    origin = f"generated:{attrs}" + (
        f" {', '.join(f'{k}={np.asarray(v).tolist()}' for k, v in consts.items())}" if consts else ""
    )
    return KernelCase(f"{op_type}/generated-{tag}-{dtype}", op_type, dtype, origin, model.SerializeToString(), [x])


# Pads the node suite has no case for: negative pads (crops, as torch.nn.ZeroPad2d((0, 0, 1, -1)) exports for
# a token shift) and every mode on inner axes. MindSpore's ops.pad with negative pads was exact on the first
# call and wrong on the next ones: these cases are why the sweep calls twice.
_PAD_CASES = {
    "shift": ("constant", [0, 1, 0, 0, -1, 0]),
    "crop-both": ("constant", [0, -1, 1, 0, 2, -2]),
    "reflect": ("reflect", [0, 1, 2, 0, 2, 1]),
    "edge": ("edge", [0, 2, 0, 0, 1, 3]),
    "wrap": ("wrap", [0, 0, 1, 0, 1, 2]),
}


def build_cases(target: str, dtypes: list[str], ops: list[str] | None = None, seed: int = 0) -> list[KernelCase]:
    """Every case of the sweep, seeded and in a fixed order (the same arguments give the same cases)."""
    from porter.conformance import collect_cases
    from porter.targets import get_target

    mapped = set(get_target(target).registry.ops())
    unmapped = sorted(set(ops or ()) - mapped)
    if unmapped:
        from porter.errors import PorterError

        raise PorterError(f"not mapped for {target}: {', '.join(unmapped)} (porter ops --to {target} lists what is)")
    wanted = sorted(ops or mapped)
    rng = np.random.default_rng(seed)
    cases: list[KernelCase] = []
    for case in collect_cases(wanted):
        if len(onnx.load_model_from_string(case.model).graph.node) != 1:
            continue  # *_expanded cases test a function's decomposition, not a kernel: conformance runs them
        column = _column(case.inputs or case.outputs)
        if column in DTYPE_FLAGS.values() and column not in dtypes:
            pass
        elif column != "float64":
            cases.append(
                KernelCase(
                    f"{case.op_type}/{case.name}", case.op_type, column, f"suite:{case.name}", case.model, case.inputs
                )
            )
            parsed = onnx.load_model_from_string(case.model)
            constant = _params_as_constants(parsed, case.inputs)
            if constant is not None:
                cases.append(KernelCase(f"{case.op_type}/{case.name}/const-params", case.op_type, column,
                                        f"const-params:{case.name}", *constant))  # fmt: skip
            fresh = _fresh_values(case.inputs, _data_positions(parsed), rng)
            if fresh is not None:
                cases.append(
                    KernelCase(
                        f"{case.op_type}/{case.name}/random",
                        case.op_type,
                        column,
                        f"random-values:{case.name}",
                        case.model,
                        fresh,
                    )
                )
        if column in ("float32", "float64"):  # float64-only suite cases (Einsum, ...) count at every float dtype
            source = TensorProto.FLOAT if column == "float32" else TensorProto.DOUBLE
            for dtype in dtypes:
                if dtype == column:
                    continue
                recast_case = _recast_case(onnx.load_model_from_string(case.model), case.inputs, dtype, source)
                if recast_case is None:
                    continue
                model, inputs = recast_case
                cases.append(
                    KernelCase(
                        f"{case.op_type}/{case.name}/{dtype}",
                        case.op_type,
                        dtype,
                        f"recast:{case.name}",
                        model.SerializeToString(),
                        inputs,
                    )
                )
    if "GlobalLpPool" in wanted:  # the node suite has no case for it
        for dtype in dtypes:
            for p in (1, 2, 3):
                cases.append(_single_node_case("GlobalLpPool", {"p": p}, [2, 3, 4, 5], dtype, rng, f"p{p}"))
    if "Pad" in wanted:
        for dtype in dtypes:
            for tag, (mode, pads) in _PAD_CASES.items():
                pads = {"pads": np.array(pads, np.int64)}
                cases.append(_single_node_case("Pad", {"mode": mode}, [2, 5, 4], dtype, rng, tag, pads))
    for op_type in wanted:
        for arity, table in ((1, _UNARY), (2, _BINARY)):
            if op_type in table:
                for dtype in dtypes:
                    for n in range(2):
                        cases.append(_random_shape_case(op_type, arity, table[op_type], dtype, rng, n))
    return _with_second_calls(cases, np.random.default_rng([seed, 2]))  # fmt: skip


# ---- the references, in this process -----------------------------------------------------------


def references(case: KernelCase, inputs: list | None = None) -> tuple[list | None, list | None, str]:
    """(onnxruntime outputs or None, fp64 golden outputs or None, note) for one call (default: the first)."""
    import onnxruntime as ort

    inputs = case.inputs if inputs is None else inputs
    ort.set_default_logger_severity(4)  # a missing float16 kernel is expected here, not worth a log line
    model = onnx.load_model_from_string(case.model)
    names = [o.name for o in model.graph.output]
    golden, how = golden_outputs(model, inputs)
    golden_list = [golden.get(n) for n in names] if golden is not None else None
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 4
        session = ort.InferenceSession(case.model, options, providers=["CPUExecutionProvider"])
        feeds = {i.name: a for i, a in zip(session.get_inputs(), inputs)}
        run_options = ort.RunOptions()
        run_options.log_severity_level = 4
        source = session.run(None, feeds, run_options)
        note = ""
    except Exception as exc:  # onnxruntime lacks many float16/bfloat16 kernels: the golden, rounded, stands in
        source = None
        note = f"onnxruntime cannot run it ({type(exc).__name__}); source = golden rounded to the dtype"
        if golden_list is not None and all(g is not None for g in golden_list):
            elem = [o.type.tensor_type.elem_type for o in model.graph.output]
            source = [g.astype(onnx.helper.tensor_dtype_to_np_dtype(e)) for g, e in zip(golden_list, elem)]
    return source, golden_list, note if golden is not None else f"{note}; {how}".strip("; ")


def evaluate(outputs: list, source: list | None, golden: list | None) -> dict:
    """A case's numbers: worst scaled error and ULP against the golden, and a verdict per profile."""
    if source is None:
        return {"status": "no-reference", "note": "neither onnxruntime nor the golden could run this case"}
    if len(outputs) != len(source):
        return {"status": "failed", "note": f"{len(outputs)} outputs, expected {len(source)}", "verdicts": {}}
    verdicts, reasons, scaled, ulp = {}, {}, 0.0, 0.0
    for profile_name in DEVICE_CLASSES:
        profile = load_profile(profile_name)
        pairs = enumerate(zip(outputs, source))
        judged = [judge(o, s, None if golden is None else golden[i], profile) for i, (o, s) in pairs]
        verdicts[profile_name] = all(j["passed"] for j in judged)
        failing = [j["reason"] for j in judged if not j["passed"]]
        if failing:  # why, for the cells that fail: the table's note and the JSON say it
            reasons[profile_name] = failing[0]
    for i, (o, s) in enumerate(zip(outputs, source)):
        ref = golden[i] if golden is not None and golden[i] is not None else s
        o, ref = np.asarray(o), np.asarray(ref)
        if o.shape != ref.shape:
            scaled = ulp = float("inf")
            continue
        if o.dtype.kind in "fc" or o.dtype.name == "bfloat16":
            m = compare(o, ref)
            finite = np.isfinite(ref.astype(np.float64))
            magnitude = max(1.0, float(np.abs(ref.astype(np.float64)[finite]).max())) if finite.any() else 1.0
            scaled = max(scaled, m.max_abs / magnitude)
            both = finite & np.isfinite(o.astype(np.float64))
            if both.any():
                ulp = max(ulp, float(ulp_distance(o[both], ref[both]).max()))
    return {"status": "ran", "verdicts": verdicts, "reasons": reasons, "scaled_error": scaled, "ulp": ulp}  # fmt: skip


# ---- in the worker -------------------------------------------------------------------------------

_WORKER = {}


def worker_init(arg: str) -> None:
    """arg is 'target@device': import the framework once per worker and select the device."""
    from porter.targets import get_target

    target, device = arg.split("@", 1)
    runtime = get_target(target).load_runtime()
    runtime.prepare(device)
    _WORKER["runtime"] = runtime


def run_dir(payload: dict) -> tuple[str, object]:
    """Load the generated model in payload['dir'] once and call it with each of payload['calls'] in turn:
    ('ok', [outputs per call]) or ('crashed', why)."""
    from porter.loading import load

    try:
        model = load(payload["dir"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", [_WORKER["runtime"].run(model, inputs) for inputs in payload["calls"]]
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        return "crashed", f"{type(exc).__name__}: {first}"[:300]


def calls_of(case: KernelCase) -> list[tuple[str, str, list]]:
    """(result id, origin, inputs) of each call of a case: the first call is the case itself."""
    return [(case.id, case.origin, case.inputs), (f"{case.id}/call-2", f"second-call:{case.id}", case.again)]


# ---- the driver ----------------------------------------------------------------------------------


def convert_case(case: KernelCase, target: str, directory: Path) -> str | None:
    """Write the case's generated model into directory; the refusal reason if porter refuses it."""
    from porter.convert import generate, write_program
    from porter.errors import PorterError

    try:
        program, code = generate(case.model, target)
    except PorterError as exc:
        return str(exc)
    directory.mkdir(parents=True)
    write_program(program, code, directory)
    return None


def sweep(
    target: str,
    *,
    device: str = "cpu",
    dtypes: list[str] | None = None,
    ops: list[str] | None = None,
    seed: int = 0,
    jobs: int = 2,
    timeout: float = 120.0,
    progress=None,
    ray_address: str | None = None,
) -> dict:
    """Run the sweep and return its result (see summarize).

    ray_address: None runs the cases in local worker processes; "" or an address runs them as Ray tasks
    (porter.check.ray_backend) that request the device ({"NPU": 1}, a GPU) and carry their case files.
    """
    from porter.conformance import DETERMINISTIC_ENV
    from porter.workers import run_isolated

    dtypes = dtypes or list(DTYPE_FLAGS.values())
    cases = build_cases(target, dtypes, ops, seed)
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="porter-kernels-") as tmp:
        items, refs = [], {}
        for n, case in enumerate(cases):
            calls = calls_of(case)
            bases = [{"id": i, "op_type": case.op_type, "column": case.column, "origin": o} for i, o, _ in calls]
            refused = convert_case(case, target, Path(tmp) / f"c{n}")
            if refused is not None:
                results += [{**base, "status": "refused", "note": refused[:300]} for base in bases]
                continue
            refs[case.id] = [(base, *references(case, inputs)) for base, (_, _, inputs) in zip(bases, calls)]
            items.append((case.id, {"dir": str(Path(tmp) / f"c{n}"), "calls": [inputs for _, _, inputs in calls]}))
        common = {"timeout": timeout, "init_path": "porter.validators.kernels:worker_init",
                  "init_arg": f"{target}@{device}", "env": DETERMINISTIC_ENV}  # fmt: skip
        if ray_address is None:
            outcomes = run_isolated(items, "porter.validators.kernels:run_dir", jobs=jobs, **common)
        else:
            from porter.check.ray_backend import device_resources, run_on_ray

            need = device_resources(device)
            outcomes = run_on_ray(items, "porter.validators.kernels:run_dir", address=ray_address,
                                  resources=lambda _key: need, ship=("dir",), **common)  # fmt: skip
        for outcome in outcomes:
            status, value = outcome.value if outcome.ok else ("crashed", outcome.error)
            for k, (base, source, golden, note) in enumerate(refs[outcome.key]):
                if status != "ok":
                    results.append({**base, "status": "crashed", "note": value})
                else:
                    results.append(
                        {**base, **evaluate(value[k], source, golden), **({"ref_note": note} if note else {})}
                    )
            if progress:
                progress(len(results), 2 * len(cases))
    return summarize(target, device, seed, dtypes, results)


def summarize(target: str, device: str, seed: int, dtypes: list[str], results: list[dict]) -> dict:
    """The op x dtype table: per cell cases run, passed under the device's profile and each profile, worst errors."""
    from porter.validators.profiles import device_class

    chosen = load_profile(None, device)
    columns = [*dtypes, EXACT_COLUMN]
    table: dict[str, dict] = {}
    for r in sorted(results, key=lambda r: r["id"]):
        cell = table.setdefault(r["op_type"], {}).setdefault(
            r["column"],
            {"cases": 0, "passed": 0, "by_profile": dict.fromkeys(DEVICE_CLASSES, 0), "refused": 0, "crashed": 0,
             "worst_scaled_error": None, "worst_ulp": None, "note": ""},
        )  # fmt: skip
        if r["status"] in ("refused", "crashed", "no-reference"):
            cell["refused" if r["status"] == "refused" else "crashed"] += r["status"] != "no-reference"
            cell["note"] = cell["note"] or f"{r['status']}: {r.get('note', '')}"
            continue
        cell["cases"] += 1
        for name, ok in r.get("verdicts", {}).items():
            cell["by_profile"][name] += ok
        cell["passed"] += r.get("verdicts", {}).get(device_class(device), False)
        for key, worst in (("scaled_error", "worst_scaled_error"), ("ulp", "worst_ulp")):
            if r.get(key) is not None:
                cell[worst] = max(cell[worst] or 0.0, r[key])
        if not r.get("verdicts", {}).get(device_class(device), False) and not cell["note"]:
            cell["note"] = f"fails: {r['id']}: {r.get('reasons', {}).get(device_class(device), '')}"
    for row in table.values():
        for cell in row.values():
            if not cell["cases"]:
                cell["status"] = "refused" if cell["refused"] else "crashed"
    return {
        "kind": "porter-kernels",
        "target": target,
        "device": device,
        "seed": seed,
        "profile": chosen.to_dict(),
        "dtypes": columns,
        "cases": len(results),
        "totals": _totals(results, device_class(device)),
        "table": table,
        "results": sorted(results, key=lambda r: r["id"]),
    }


def _totals(results: list[dict], cls: str) -> dict:
    ran = [r for r in results if r["status"] == "ran"]
    return {
        "ran": len(ran),
        "within_profile": sum(r["verdicts"].get(cls, False) for r in ran),
        "refused": sum(r["status"] == "refused" for r in results),
        "crashed": sum(r["status"] == "crashed" for r in results),
        "failed": sum(r["status"] == "failed" for r in results),
    }


# ---- offline bundle ------------------------------------------------------------------------------


def write_kernels_bundle(
    target: str, bundle_path, *, device: str = "cpu", dtypes=None, ops=None, seed: int = 0, progress=None
) -> str:
    """Pack every convertible case (model, inputs, source and golden outputs) for run_bundle.py."""
    from porter.validators.bundle import ROOT, _save, pack

    bundle_path = Path(bundle_path)
    dtypes = dtypes or list(DTYPE_FLAGS.values())
    cases = build_cases(target, dtypes, ops, seed)
    entries, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="porter-kbundle-") as tmp:
        stage = Path(tmp) / ROOT
        stage.mkdir()
        for n, case in enumerate(cases):
            refused = convert_case(case, target, stage / "cases" / f"c{n}" / "model")
            # each call is an entry on the same model directory: the runner loads it once and calls it in order
            for k, (case_id, origin, inputs) in enumerate(calls_of(case), 1):
                base = {"id": case_id, "op_type": case.op_type, "column": case.column, "origin": origin}
                source, golden, note = (None, None, "") if refused else references(case, inputs)
                if refused or source is None:
                    skipped.append(
                        {**base, "status": "refused" if refused else "no-reference", "note": refused or note}
                    )
                    continue
                folder, rel = stage / "cases" / f"c{n}", f"cases/c{n}"
                _save(folder / f"inputs{k}.npz", inputs)
                _save(folder / f"expected{k}.npz", source)
                entry = {**base, "model": f"{rel}/model", "inputs": f"{rel}/inputs{k}.npz",
                         "expected": f"{rel}/expected{k}.npz", "output_names": [f"output_{i}" for i in range(len(source))]}  # fmt: skip
                if golden is not None and all(g is not None for g in golden):
                    _save(folder / f"golden{k}.npz", golden)
                    entry["golden"] = f"{rel}/golden{k}.npz"
                entries.append(entry)
            if progress:
                progress(n + 1, len(cases))
        meta = {
            "kind": "porter-kernels",
            "target": target,
            "device": device,
            "seed": seed,
            "dtypes": dtypes,
            "profile": load_profile(None, device).to_dict(),
            "cases": entries,
            "skipped": skipped,
        }
        pack(stage, target, meta, bundle_path)
    return f"{len(entries)} cases ({len(skipped)} refused here), {target} on {device}"


def summarize_bundle(bundle: dict, record: dict, base: Path) -> dict:
    """The sweep's table from a kernels bundle's results.json, every verdict recomputed."""
    from porter.validators.bundle import case_arrays, check_recorded
    from porter.validators.profiles import profile_from_dict

    profile = profile_from_dict(bundle["profile"])
    results = list(bundle["skipped"])
    for case, outcome in zip(bundle["cases"], record["cases"]):
        info = {k: case[k] for k in ("id", "op_type", "column", "origin")}
        if "crashed" in outcome:
            results.append({**info, "status": "crashed", "note": outcome["crashed"]})
            continue
        outputs, source, golden = case_arrays(base, case, outcome)
        recomputed = [
            judge(o, s, None if golden is None else golden[i], profile)["passed"]
            for i, (o, s) in enumerate(zip(outputs, source))
        ]
        check_recorded(case, outcome, recomputed)
        results.append({**info, **evaluate(outputs, source, golden)})
    summary = summarize(bundle["target"], record["device"], bundle["seed"], bundle["dtypes"], results)
    summary["from_bundle"] = True
    return summary
