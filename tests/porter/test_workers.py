import os
import signal
import time
from pathlib import Path

from porter.workers import run_isolated

# workers run isolated (no working directory on sys.path): this test module's folder is named explicitly
ROOT = [str(Path(__file__).resolve().parents[2])]


def echo(payload):
    return payload * 2


def misbehave(payload):
    if payload == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if payload == "abort":
        os.abort()
    if payload == "hang":
        time.sleep(600)
    if payload == "raise":
        raise RuntimeError("boom")
    return payload


def test_results_come_back_for_every_item():
    outcomes = {
        o.key: o for o in run_isolated([(str(i), i) for i in range(5)], f"{__name__}:echo", jobs=2, extra_path=ROOT)
    }
    assert {k: o.value for k, o in outcomes.items()} == {str(i): 2 * i for i in range(5)}


def test_crashes_and_hangs_are_outcomes_not_porter_crashes():
    items = [("a", "ok"), ("b", "segfault"), ("c", "abort"), ("d", "hang"), ("e", "ok2"), ("f", "raise")]
    outcomes = {o.key: o for o in run_isolated(items, f"{__name__}:misbehave", jobs=2, timeout=5, extra_path=ROOT)}
    assert outcomes["a"].ok and outcomes["a"].value == "ok"
    assert outcomes["e"].ok and outcomes["e"].value == "ok2"
    assert not outcomes["b"].ok and "SIGSEGV" in outcomes["b"].error
    assert not outcomes["c"].ok and "SIGABRT" in outcomes["c"].error
    assert not outcomes["d"].ok and "timed out" in outcomes["d"].error
    assert not outcomes["f"].ok  # an exception escaping the function kills that worker only
