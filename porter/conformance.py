"""`porter conformance`: the ONNX backend node suite (shipped inside the onnx wheel) through porter.

Each case goes convert -> generated model.py -> the target framework, in a crash-isolated worker,
and ends as one of:
  passed    outputs match the suite's expected outputs (the suite's rtol/atol, exact dtype and shape)
  refused   porter refused the model at convert time, with a reason (the honest failure)
  mismatch  it converted and ran but the numbers, shape or dtype are wrong (the worst failure)
  crashed   it converted but the generated code raised, or the worker died or hung
Only applicable cases count: default-domain graphs whose inputs and outputs are numeric tensors.
"""

from __future__ import annotations

import collections
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from porter.dtypes import NAME_TO_ONNX
from porter.workers import run_isolated

STATUSES = ("passed", "refused", "mismatch", "crashed")
_EXPANDED = re.compile(r"_expanded(_ver\d+)?$")


@dataclass
class Case:
    name: str
    op_type: str
    model: bytes
    inputs: list
    outputs: list
    rtol: float
    atol: float


@dataclass
class CaseResult:
    name: str
    op_type: str
    status: str
    detail: str = ""


@dataclass
class Summary:
    target: str
    results: list[CaseResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        c = collections.Counter(r.status for r in self.results)
        return {s: c.get(s, 0) for s in STATUSES}

    def by_op(self) -> dict[str, dict[str, int]]:
        table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for r in self.results:
            table[r.op_type][r.status] += 1
        return {op: {s: table[op].get(s, 0) for s in STATUSES} for op in sorted(table)}

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "applicable": len(self.results),
            "totals": self.counts(),
            "by_op": self.by_op(),
            "cases": [r.__dict__ for r in sorted(self.results, key=lambda r: r.name)],
        }


def _is_numeric_tensor(value_info) -> bool:
    t = value_info.type
    if t.WhichOneof("value") != "tensor_type":
        return False
    return t.tensor_type.elem_type not in (NAME_TO_ONNX["string"],)


def applicable(model) -> bool:
    graph = model.graph
    io_ok = all(_is_numeric_tensor(v) for v in list(graph.input) + list(graph.output))
    return io_ok and all(n.domain in ("", "ai.onnx") for n in graph.node)


def collect_cases(op_filter: list[str] | None = None, name_filter: str | None = None) -> list[Case]:
    """The applicable node-suite cases, optionally only for some op types or a name substring."""
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = collect_testcases(None)
    op_of_name: dict[str, str] = {}
    for case in raw:
        if not _EXPANDED.search(case.name) and len(case.model.graph.node) >= 1:
            op_of_name[case.name] = case.model.graph.node[-1].op_type
    wanted = {o.lower() for o in op_filter} if op_filter else None
    cases = []
    for case in raw:
        if not applicable(case.model):
            continue
        base = _EXPANDED.sub("", case.name)
        op_type = op_of_name.get(base) or case.model.graph.node[-1].op_type
        if wanted is not None and op_type.lower() not in wanted:
            continue
        if name_filter and name_filter not in case.name:
            continue
        inputs, outputs = (_as_arrays(side) for side in case.data_sets[0])
        cases.append(
            Case(case.name, op_type, case.model.SerializeToString(), list(inputs), list(outputs), case.rtol, case.atol)
        )
    cases.sort(key=lambda c: c.name)
    return cases


def _as_arrays(values) -> list[np.ndarray]:
    """The suite stores some tensors (bfloat16, float8, ...) as TensorProto; make them numpy arrays."""
    import onnx

    return [onnx.numpy_helper.to_array(v) if isinstance(v, onnx.TensorProto) else np.asarray(v) for v in values]


# ---- inside a worker ----------------------------------------------------------------------

_RUNTIME = {}


def worker_init(target: str) -> None:
    """Import the target framework once per worker."""
    from porter.targets import get_target

    spec = get_target(target)
    runtime = spec.load_runtime()
    runtime.prepare("cpu")
    _RUNTIME["spec"] = spec
    _RUNTIME["runtime"] = runtime


def execute_model(payload: dict) -> tuple[str, object]:
    """Convert payload["model"] and run it on payload["inputs"] inside a worker.

    Returns ("ok", outputs), ("refused", reason) or ("crashed", reason).
    """
    from porter.convert import generate, write_program
    from porter.errors import PorterError
    from porter.loading import import_generated

    spec, runtime = _RUNTIME["spec"], _RUNTIME["runtime"]
    try:
        program, code = generate(payload["model"], spec.name)
    except PorterError as exc:
        return "refused", str(exc)
    except Exception as exc:  # a porter bug, not a refusal: report it loudly as a crash
        return "crashed", f"converter error: {type(exc).__name__}: {exc}"
    with tempfile.TemporaryDirectory(prefix="porter-run-") as tmp:
        try:
            write_program(program, code, Path(tmp))
            model = import_generated(tmp).load_model()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return "ok", runtime.run(model, payload["inputs"])
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return "crashed", f"{type(exc).__name__}: {first}"[:300]


def run_case(payload: dict) -> tuple[str, str]:
    """Convert and run one case; returns (status, detail). Runs inside a worker process."""
    status, value = execute_model(payload)
    if status != "ok":
        return status, value
    problem = compare_outputs(value, payload["outputs"], payload["rtol"], payload["atol"])
    return ("mismatch", problem) if problem else ("passed", "")


def compare_outputs(actual: list, expected: list, rtol: float, atol: float) -> str:
    """'' when every output matches (dtype, shape, values within rtol/atol), else the first problem."""
    if len(actual) != len(expected):
        return f"{len(actual)} outputs, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        a = np.asarray(a)
        e = np.asarray(e)
        if a.dtype != e.dtype:
            return f"output {i}: dtype {a.dtype}, expected {e.dtype}"
        if a.shape != e.shape:
            return f"output {i}: shape {a.shape}, expected {e.shape}"
        if e.dtype.name == "bfloat16":  # ml_dtypes' kind is 'V': compare its values as float32
            a, e = a.astype(np.float32), e.astype(np.float32)
        if e.dtype.kind in "fc":
            if not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
                with np.errstate(all="ignore"):
                    err = np.nanmax(np.abs(a.astype(np.float64) - e.astype(np.float64))) if a.size else 0.0
                return f"output {i}: max abs error {err:.3g} (rtol={rtol}, atol={atol})"
        elif not np.array_equal(a, e):
            return f"output {i}: {int(np.sum(a != e))} of {a.size} elements differ"
    return ""


# ---- driver ----------------------------------------------------------------------------------


# Bitwise-reproducible CPU kernels: Paddle's MKL sgemv rounds each output column differently for a
# single-row input (measured: 2 distinct sums for 1000 identical columns), which an ill-conditioned model
# (the zoo's constant-weight CNNs, logits ~3.6e12) turns into a different softmax. Conformance measures
# the conversion, so by default it runs MKL in its reproducible mode; --native-kernels turns this off.
DETERMINISTIC_ENV = {"MKL_CBWR": "COMPATIBLE"}


def run_conformance(
    target: str, cases: list[Case], jobs: int = 2, timeout: float = 120.0, progress=None, deterministic: bool = True
) -> Summary:
    summary = Summary(target)
    by_name = {c.name: c for c in cases}
    items = [
        (c.name, {"model": c.model, "inputs": c.inputs, "outputs": c.outputs, "rtol": c.rtol, "atol": c.atol})
        for c in cases
    ]
    for outcome in run_isolated(
        items,
        "porter.conformance:run_case",
        jobs=jobs,
        timeout=timeout,
        init_path="porter.conformance:worker_init",
        init_arg=target,
        env=DETERMINISTIC_ENV if deterministic else None,
    ):
        case = by_name[outcome.key]
        if outcome.ok:
            status, detail = outcome.value
        else:
            status, detail = "crashed", outcome.error
        summary.results.append(CaseResult(case.name, case.op_type, status, detail))
        if progress:
            progress(summary.results[-1])
    return summary
