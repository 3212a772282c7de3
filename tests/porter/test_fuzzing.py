"""A seeded slice of the fuzz campaign (scripts/fuzz.py runs the full one; docs/reliability.md)."""

import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from porter.fuzzing import mutate, random_graph, reference_outputs
from porter.validators.tolerances import tolerance_for
from porter.workers import WorkerProcess
from scripts.fuzz import checkpoint_campaign, mutation_campaign, results_campaign

_WORKER = {}


def _paddle_worker() -> WorkerProcess:
    worker = _WORKER.get("paddle")
    if worker is None or not worker.alive():
        worker = _WORKER["paddle"] = WorkerProcess(
            "porter.conformance:execute_model", "porter.conformance:worker_init", "paddle"
        )
    return worker


def test_mutation_is_deterministic_and_changes_bytes():
    data = bytes(range(256)) * 4
    a = mutate(data, random.Random(5), data)
    assert a == mutate(data, random.Random(5), data) and a != data


def test_mutated_models_convert_or_are_refused_never_crash_or_hang():
    report = mutation_campaign(300, seed=7, jobs=2, target="paddle")
    counts = report["counts"]
    assert sum(counts.values()) == 300
    assert counts.get("bug", 0) == counts.get("crashed", 0) == counts.get("hung", 0) == 0, report["problems"]


@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False))
def test_random_valid_graphs_match_onnxruntime(rng):
    model, x = random_graph(rng)
    expected = reference_outputs(model, x)
    status, actual = _paddle_worker().call({"model": model.SerializeToString(), "inputs": [x]})
    assert status == "ok", actual
    tol = tolerance_for("float32")
    np.testing.assert_allclose(actual[0], expected[0], rtol=tol.rtol, atol=tol.atol)


def test_mutated_checkpoints_are_read_or_refused_never_crash():
    report = checkpoint_campaign(60, seed=7, jobs=2)
    counts = report["counts"]
    assert sum(counts.values()) == 60 and counts.get("read", 0) and counts.get("refused", 0)
    assert counts.get("bug", 0) == counts.get("crashed", 0) == counts.get("hung", 0) == 0, report["problems"]


def test_mutated_results_files_never_pass_a_failing_port():
    report = results_campaign(100, seed=7, jobs=2, target="paddle")
    counts = report["counts"]
    assert sum(counts.values()) == 100 and counts.get("refused", 0)
    bad = ("bug", "crashed", "hung", "forged-pass")
    assert all(counts.get(kind, 0) == 0 for kind in bad), report["problems"]
