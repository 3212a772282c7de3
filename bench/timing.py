"""Wall time of a command in a fresh process, for the benchmarks that compare porter with a reference run."""

from __future__ import annotations

import subprocess
import time


def timed_run(command: list[str]) -> float:
    """Seconds the command took; exits with its stderr's tail when it fails (a failed run is not a time)."""
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[:5])} ...: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    return elapsed
