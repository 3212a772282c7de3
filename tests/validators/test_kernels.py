"""`porter kernels`: the op x dtype sweep against the fp64 golden (a slice here; the full sweep is slow)."""

import base64
import json
import subprocess
import sys
import tarfile
from html.parser import HTMLParser

import pytest

from porter.targets import get_target
from porter.validators.bundle import judge_results
from porter.validators.kernels import EXACT_COLUMN, build_cases, sweep, write_kernels_bundle
from tests.porter.test_cli import porter_cli

SLICE = ["Relu", "Softmax", "MatMul", "Add", "Gather", "LayerNormalization"]


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_every_mapped_op_gets_cases(target):
    cases = build_cases(target, ["float32", "float16", "bfloat16"])
    mapped = set(get_target(target).registry.ops())
    covered = {c.op_type for c in cases}
    assert mapped == covered, sorted(mapped - covered)  # the suite, its recasts, or generated cases
    assert {c.column for c in cases} >= {"float32", "float16", "bfloat16", EXACT_COLUMN}


def test_the_cases_are_reproducible():
    a = build_cases("paddle", ["float32", "float16"], ["Add", "Tanh"], seed=3)
    b = build_cases("paddle", ["float32", "float16"], ["Add", "Tanh"], seed=3)
    assert [c.id for c in a] == [c.id for c in b]
    assert all((x == y).all() for ca, cb in zip(a, b) for x, y in zip(ca.inputs, cb.inputs))
    c = build_cases("paddle", ["float32", "float16"], ["Add", "Tanh"], seed=4)
    assert any((x != y).any() for ca, cc in zip(a, c) for x, y in zip(ca.inputs, cc.inputs) if x.shape == y.shape)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.pngs, self.cells = [], []

    def handle_starttag(self, tag, attrs):
        src = dict(attrs).get("src", "")
        if tag == "img" and src.startswith("data:image/png;base64,"):
            self.pngs.append(base64.b64decode(src.split(",", 1)[1]))

    def handle_data(self, data):
        self.cells.append(data)


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_kernels_cli_writes_the_table_as_json_and_html(tmp_path, target):
    proc = porter_cli(
        "kernels",
        "--to",
        target,
        "--ops",
        ",".join(SLICE),
        "--json",
        tmp_path / "k.json",
        "--report",
        tmp_path / "k.html",
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "k.json").read_text())
    assert set(result["table"]) == set(SLICE)
    relu = result["table"]["Relu"]["float32"]
    assert relu["cases"] >= 4 and relu["passed"] == relu["cases"] and relu["worst_scaled_error"] == 0
    matmul = result["table"]["MatMul"]["float32"]
    assert 0 < matmul["worst_scaled_error"] < 1e-5  # float32 rounding against the fp64 golden, not zero
    page = _Page()
    page.feed((tmp_path / "k.html").read_text())
    assert len(page.pngs) == 1 and page.pngs[0].startswith(b"\x89PNG")  # the op x dtype heat map
    assert all(op in page.cells for op in SLICE)


def test_kernels_bundle_reproduces_the_direct_sweep(tmp_path):
    ops = ["Relu", "Softmax", "Div"]
    write_kernels_bundle("paddle", tmp_path / "k.tar.gz", dtypes=["float32", "float16"], ops=ops)
    with tarfile.open(tmp_path / "k.tar.gz") as tar:
        tar.extractall(tmp_path / "dev", filter="data")
    root = tmp_path / "dev" / "porter-bundle"
    proc = subprocess.run([sys.executable, "run_bundle.py"], cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    from_bundle = judge_results(root / "results.json")
    direct = sweep("paddle", dtypes=["float32", "float16"], ops=ops)
    assert from_bundle["table"] == direct["table"]
    assert from_bundle["totals"] == direct["totals"]


def test_every_case_gets_a_second_call_with_fresh_inputs():
    cases = build_cases("mindspore", ["float32"], ["Pad", "Gather", "Add"])
    for case in cases:
        assert [(a.shape, a.dtype) for a in case.again] == [(a.shape, a.dtype) for a in case.inputs], case.id
    floats = [c for c in cases if c.column == "float32"]
    assert floats and all(any((a != b).any() for a, b in zip(c.inputs, c.again)) for c in floats)


def test_the_sweep_judges_both_calls_of_a_case():
    # MindSpore's ops.pad with negative pads was exact on its first call and wrong on the next (a token shift,
    # torch.nn.ZeroPad2d((0, 0, 1, -1))): the sweep's second call is what shows such a kernel
    result = sweep("mindspore", dtypes=["float32"], ops=["Pad"])
    rows = {r["id"]: r for r in result["results"]}
    for tag in ("shift", "crop-both", "reflect", "edge", "wrap"):
        for call in ("", "/call-2"):
            row = rows[f"Pad/generated-{tag}-float32{call}"]
            assert row["status"] == "ran" and row["verdicts"]["cpu"], row
