"""Run work items as Ray tasks: the same items, the same worker function, on a cluster's machines.

Each Ray task takes a chunk of items and runs them through porter.workers.run_isolated (one fresh worker
process), exactly as the local pool does: a framework that crashes takes down that worker, not the Ray
worker, and frameworks never share a process. Tasks request the item's device as a Ray resource
({"NPU": 1} for npu/ascend, a GPU for gpu), so only machines that have the chip take the work.
Ray is an optional dependency (`pip install porter-convert[ray]`), imported only here.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from porter.errors import EXIT_USAGE, PorterError
from porter.workers import Outcome

SHIPPED = "__porter_shipped_dir__"  # a payload value replaced by the files of a local directory


class RayUnavailable(PorterError):
    exit_code = EXIT_USAGE


def device_resources(device: str) -> dict[str, float]:
    """The Ray resources one item on `device` needs beyond its CPU."""
    from porter.validators.profiles import device_class

    cls = device_class(device)
    return {"NPU": 1.0} if cls == "ascend" else {"GPU": 1.0} if cls == "gpu" else {}


def run_on_ray(
    items: list[tuple[str, dict]],
    func_path: str,
    *,
    address: str | None = None,
    resources: Callable[[str], dict] = lambda key: {},
    chunk_size: int | None = None,
    timeout: float = 900.0,
    init_path: str | None = None,
    init_arg: str | None = None,
    env: dict | None = None,
    ship: tuple[str, ...] = (),
    working_dir: Path | None = None,
    isolated: bool = True,
) -> Iterator[Outcome]:
    """Yield an Outcome per (key, payload), as run_isolated does, from Ray tasks.

    address: None or "" attaches to a Ray instance already initialised in this process, else starts a
    local one; any other value is passed to ray.init (e.g. "auto", "ray://head:10001"), and then
    working_dir, if given, is shipped to the cluster as the tasks' working directory.
    ship: payload keys naming local directories whose files travel with the task (a remote machine has
    no access to this one's temporary files).
    isolated: False runs the function in the Ray worker itself (which Ray reuses, so its imports are paid
    once per worker, not once per chunk): for functions that load no framework and need no per-item
    timeout, such as writing weights files; a crash still fails only that task.
    """
    try:
        import ray
    except ImportError:
        raise RayUnavailable("--ray needs Ray: pip install 'porter-convert[ray]'") from None
    started = False
    if not ray.is_initialized():
        runtime_env = None
        if address and working_dir is not None:
            runtime_env = {"working_dir": str(working_dir), "excludes": [".git", ".venv", ".porter-cache"]}
        local = {} if address else {"include_dashboard": False}  # options Ray refuses for an existing cluster
        try:
            # logging_level: Ray's start-up notices on stderr would bury the one-line error porter ends with
            _init(ray, address=address or None, runtime_env=runtime_env, log_to_driver=False, logging_level=logging.ERROR, **local)  # fmt: skip
        except (ConnectionError, RuntimeError, ValueError) as exc:  # no cluster there, or a refused option
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise RayUnavailable(f"--ray {address or '(a local instance)'}: Ray did not start ({first})") from None
        started = True
    try:
        yield from _run(
            ray, items, func_path, resources, chunk_size, timeout, (init_path, init_arg, env), ship, isolated
        )
    finally:
        if started:
            ray.shutdown()


def _init(ray, **options) -> None:
    """ray.init, keeping the SIGTERM handler this process installed (porter's command line raises
    KeyboardInterrupt, so a run unwinds: tasks cancelled, temporaries removed, "aborted"). Ray replaces it
    with one that exits at once, and its driver then crashes in C++ with a stack dump, leaving partial outputs."""
    own = threading.current_thread() is threading.main_thread() and callable(signal.getsignal(signal.SIGTERM))
    previous = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(**options)
    finally:
        if own:
            signal.signal(signal.SIGTERM, previous)


def _run(ray, items, func_path, resources, chunk_size, timeout, worker, ship, isolated):
    available = ray.cluster_resources()
    groups: dict[tuple, list] = {}
    for key, payload in items:
        need = resources(key)
        missing = [name for name in need if available.get(name, 0) < need[name]]
        if missing:
            raise RayUnavailable(
                f"{key} needs the Ray resource {missing[0]!r}, which no node of the cluster offers "
                f"(it has {', '.join(sorted(available))})"
            )
        groups.setdefault(tuple(sorted(need.items())), []).append((key, pack_payload(payload, ship)))
    slots = max(1, int(available.get("CPU", 1)))
    task = ray.remote(_run_chunk)
    pending = {}
    for need, group in groups.items():
        size = chunk_size or max(1, math.ceil(len(group) / (4 * slots)))  # several chunks per slot: balance
        need = dict(need)
        options = {"num_cpus": 1, "max_retries": 0, "num_gpus": need.pop("GPU", 0)}
        if need:
            options["resources"] = need
        for start in range(0, len(group), size):
            chunk = group[start : start + size]
            ref = task.options(**options).remote(chunk, func_path, *worker, timeout, isolated)
            pending[ref] = chunk
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                chunk = pending.pop(ref)
                try:
                    outcomes = ray.get(ref)
                except ray.exceptions.RayError as exc:  # the Ray worker or its node died: the chunk's items crashed
                    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                    outcomes = [Outcome(key, False, error=f"Ray task failed: {first}") for key, _ in chunk]
                yield from outcomes
    finally:
        _cancel(ray, list(pending))


def _cancel(ray, refs, timeout: float = 30.0) -> None:
    """Stop the tasks still running when the caller stops early (an error, Ctrl-C, a closed generator), and
    wait for them: Ray interrupts a cancelled task (KeyboardInterrupt), whose run_isolated then kills its
    worker process, so nothing of this run (a weights shard, say) is written after the caller cleaned up."""
    if not refs:
        return
    for ref in refs:
        with contextlib.suppress(Exception):  # already finished, or its node is gone
            ray.cancel(ref)
    with contextlib.suppress(Exception):
        ray.wait(refs, num_returns=len(refs), timeout=timeout)


def _run_chunk(chunk, func_path, init_path, init_arg, env, timeout, isolated=True) -> list[Outcome]:
    """Inside the Ray task: unpack shipped directories, then run the chunk in one isolated worker (or here)."""
    from porter.workers import run_isolated

    with tempfile.TemporaryDirectory(prefix="porter-ray-") as tmp:
        items = [(key, unpack_payload(payload, Path(tmp) / str(n))) for n, (key, payload) in enumerate(chunk)]
        if not isolated:
            module, name = func_path.rsplit(":", 1)
            func = getattr(importlib.import_module(module), name)
            return [Outcome(key, True, func(payload)) for key, payload in items]
        return list(
            run_isolated(items, func_path, jobs=1, timeout=timeout, init_path=init_path, init_arg=init_arg, env=env)
        )


def pack_payload(payload, ship: tuple[str, ...]):
    if not ship:
        return payload
    packed = dict(payload)
    for key in ship:
        directory = Path(payload[key])
        files = {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}
        packed[key] = {SHIPPED: files}
    return packed


def unpack_payload(payload, base: Path):
    if not isinstance(payload, dict):
        return payload
    unpacked = dict(payload)
    for key, value in payload.items():
        if isinstance(value, dict) and SHIPPED in value:
            target = base / key
            for name, data in value[SHIPPED].items():
                path = target / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            unpacked[key] = os.fspath(target)
    return unpacked
