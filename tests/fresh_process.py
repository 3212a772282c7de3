"""Checks that must run in a fresh interpreter: what pytest's own process has imported already (sympy, the
op tables, a framework) would hide what a user's `porter` process does."""

import json
import subprocess
import sys


def json_result(script: str, *args, cwd=None, timeout: float = 300):
    """Run `script` as `python -c script args...`; it must succeed, and its last line of output is JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
