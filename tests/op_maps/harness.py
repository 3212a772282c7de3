"""Shared machinery for op-family tests: build a one-node ONNX model, convert it, run it on the
target, and compare with onnxruntime using the per-dtype tolerances in porter.validators.tolerances.

Cases are target-neutral (tests/op_maps/cases/<family>.py); each target's test file runs them.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

from porter.convert import generate, write_program
from porter.errors import UnsupportedOp
from porter.targets import get_target
from porter.validators.kernels import second_call_inputs
from porter.validators.tolerances import tolerance_for
from porter.workers import WorkerProcess


@dataclass
class NodeCase:
    """One node under test. Inputs listed in `consts` become initializers (convert-time constants)."""

    id: str
    op_type: str
    inputs: dict[str, np.ndarray | None]  # None = omitted optional input ("")
    attrs: dict = field(default_factory=dict)
    opset: int | None = None  # None = newest onnx defines
    consts: tuple[str, ...] = ()
    outer: tuple[str, ...] = ()  # graph inputs that are not node inputs (seen by control-flow bodies)
    output_shapes: dict[int, list] | None = None  # for outputs whose shape onnx cannot infer
    input_shapes: dict[str, list] | None = None  # declared shapes (symbolic dims as names) of graph inputs
    n_outputs: int = 1
    refuse: str | dict | None = None  # regex the UnsupportedOp message must match; or {target: regex|None}
    rtol: float | None = None  # override only with a reason in `why`
    atol: float | None = None
    why: str = ""
    # reference(arrays) -> outputs, where onnxruntime cannot run the node (e.g. batchwise recurrent layouts)
    reference: Callable | None = None

    def __str__(self) -> str:
        return self.id


def build_model(case: NodeCase) -> onnx.ModelProto:
    input_names = [name if arr is not None else "" for name, arr in case.inputs.items() if name not in case.outer]
    outputs = [f"y{i}" for i in range(case.n_outputs)]
    node = helper.make_node(case.op_type, input_names, outputs, **case.attrs)
    graph_inputs, initializers = [], []
    for name, arr in case.inputs.items():
        if arr is None:
            continue
        arr = np.asarray(arr)
        if name in case.consts:
            initializers.append(onnx.numpy_helper.from_array(arr, name))
        else:
            elem = helper.np_dtype_to_tensor_dtype(arr.dtype)
            shape = (case.input_shapes or {}).get(name, list(arr.shape))
            graph_inputs.append(helper.make_tensor_value_info(name, elem, shape))
    graph = helper.make_graph(
        [node],
        f"test_{case.op_type.lower()}",
        graph_inputs,
        [onnx.ValueInfoProto(name=o) for o in outputs],
        initializer=initializers,
    )
    opset = case.opset or onnx.defs.onnx_opset_version()
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 10)
    model = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    for out in model.graph.output:
        if not out.type.tensor_type.HasField("shape") and graph_inputs and not case.output_shapes:
            # onnx cannot infer some function ops (GroupNormalization, MVN): they are shaped like input 0
            out.type.CopyFrom(graph_inputs[0].type)
    for i, shape in (case.output_shapes or {}).items():
        out = model.graph.output[i].type.tensor_type
        out.shape.Clear()
        for d in shape:
            out.shape.dim.add().dim_value = d
    return model


def runtime_inputs(case: NodeCase) -> list[np.ndarray]:
    return [np.asarray(a) for n, a in case.inputs.items() if a is not None and n not in case.consts]


def reference(model: onnx.ModelProto, case: NodeCase, arrays: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """onnxruntime's outputs (for `arrays`, default the case's inputs); onnx.reference's for the (newest) ops
    onnxruntime does not implement."""
    import onnxruntime as ort

    if case.reference is not None:
        return case.reference(runtime_inputs(case) if arrays is None else arrays)
    names = [n for n, a in case.inputs.items() if a is not None and n not in case.consts]
    feeds = dict(zip(names, runtime_inputs(case) if arrays is None else arrays))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except (ort.capi.onnxruntime_pybind11_state.NotImplemented, ort.capi.onnxruntime_pybind11_state.Fail):
        from onnx.reference import ReferenceEvaluator

        return [np.asarray(o) for o in ReferenceEvaluator(model).run(None, feeds)]
    return session.run(None, feeds)


_WORKERS: dict[str, WorkerProcess] = {}


def run_target(model: onnx.ModelProto, target: str, calls: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Convert here, then load the model once and call it with each input list in turn, in a long-lived worker
    process per target: frameworks never share a process (mindspore and paddle clash when imported together),
    a kernel crash fails one test only, and a kernel that is right only on its first call is caught."""
    worker = _WORKERS.get(target)
    if worker is None or not worker.alive():
        worker = _WORKERS[target] = WorkerProcess(
            "porter.validators.kernels:run_dir", "porter.validators.kernels:worker_init", f"{target}@cpu"
        )
    program, code = generate(model, target)
    with tempfile.TemporaryDirectory(prefix="porter-case-") as tmp:
        (Path(tmp) / "model").mkdir()
        write_program(program, code, Path(tmp) / "model")
        status, value = worker.call({"dir": str(Path(tmp) / "model"), "calls": calls})
    assert status == "ok", f"{status}: {value}"
    return value


def assert_close(actual: list[np.ndarray], expected: list[np.ndarray], case: NodeCase, call: str = "") -> None:
    assert len(actual) == len(expected), f"{len(actual)} outputs, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        a, e = np.asarray(a), np.asarray(e)
        assert a.dtype == e.dtype, f"{call}output {i}: dtype {a.dtype} != {e.dtype}"
        assert a.shape == e.shape, f"{call}output {i}: shape {a.shape} != {e.shape}"
        tol = tolerance_for(e.dtype.name)
        rtol = tol.rtol if case.rtol is None else case.rtol
        atol = tol.atol if case.atol is None else case.atol
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=f"{call}output {i}")
        else:
            np.testing.assert_array_equal(a, e, err_msg=f"{call}output {i}")


def check(case: NodeCase, target: str) -> None:
    """Convert and run the case on `target`; compare with onnxruntime, or check the refusal."""
    from porter.registry import resolve_since

    model = build_model(case)
    since = resolve_since(case.op_type, model.opset_import[0].version)
    mapped = {m.since for m in get_target(target).registry.ops().get(case.op_type, [])}
    if since not in mapped:
        pytest.skip(f"{case.op_type}-{since} is not mapped for {target} yet")
    refuse = case.refuse.get(target) if isinstance(case.refuse, dict) else case.refuse
    if refuse is not None:
        with pytest.raises(UnsupportedOp) as info:
            generate(model, target)
        assert re.search(refuse, str(info.value)), str(info.value)
        return
    first = runtime_inputs(case)
    again = second_call_inputs(model, first, np.random.default_rng(1))
    actual = run_target(model, target, [first, again])
    assert_close(actual[0], reference(model, case, first), case)
    assert_close(actual[1], reference(model, case, again), case, "second call, fresh inputs: ")


def assert_matches_onnxruntime(model: onnx.ModelProto, target: str, shape: tuple, rtol=1e-5, atol=1e-5) -> None:
    """The port of a one-input model computes what onnxruntime computes on the same random x of `shape`."""
    import onnxruntime as ort

    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(run_target(model, target, [[x]])[0][0], expected, rtol=rtol, atol=atol)
