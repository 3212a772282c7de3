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


def compile_porter_bytecode() -> None:
    """Write the bytecode of porter's packages once, before timing fresh processes, as `pip install` does for
    an installed package (it did for X2Paddle's). An editable checkout run under PYTHONDONTWRITEBYTECODE (set
    on the shared machine) would otherwise recompile its ~100 modules in every process: about 0.2 s of each
    `porter convert` that no installed porter pays."""
    import compileall
    import importlib

    for package in ("porter", "porter.op_maps", "porter.validators"):
        for folder in importlib.import_module(package).__path__:
            compileall.compile_dir(folder, quiet=1)  # py_compile writes even under PYTHONDONTWRITEBYTECODE
