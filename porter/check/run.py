"""`porter check`: every configured model x target x device, converted and validated, with one verdict each.

Items whose cache key is unchanged are reused; the rest run in a process pool (porter.workers) or as
Ray tasks (ray_backend). Verdicts are then held against the baseline, and the run's exit code is the
worst item's: 2 if any item failed to convert (or porter failed), else 1 if any failed parity, else 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from porter.check.baseline import load_baseline, regressions, write_baseline
from porter.check.cache import ResultCache, item_key
from porter.check.config import CheckConfig
from porter.check.item import CONVERSION_ERROR, ERROR, FAILED, PASSED
from porter.errors import EXIT_CONVERSION, EXIT_OK, EXIT_PARITY

ITEM_FUNCTION = "porter.check.item:run_item"
LOCAL = object()  # ray_address value for "run in the local process pool"


@dataclass
class CheckRun:
    results: list[dict]  # in configuration order
    reused: list[str] = field(default_factory=list)
    baseline_written: int | None = None

    @property
    def exit_code(self) -> int:
        statuses = {r["status"] for r in self.results}
        if statuses & {CONVERSION_ERROR, ERROR}:
            return EXIT_CONVERSION
        return EXIT_PARITY if FAILED in statuses else EXIT_OK


def run_check(
    config: CheckConfig,
    *,
    jobs: int = 2,
    ray_address=LOCAL,
    use_cache: bool = True,
    baseline: Path | None = None,
    update_baseline: bool = False,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[dict], None] | None = None,
) -> CheckRun:
    """Run the configuration's items; ray_address: LOCAL (process pool), None/"" or an address (Ray)."""
    cache = ResultCache(config.cache_dir)
    keys = {item.id: item_key(item, config.root) for item in config.items}
    results: dict[str, dict] = {}
    reused = []
    todo = []
    for item in config.items:
        hit = cache.get(keys[item.id]) if use_cache else None
        if hit is not None:
            results[item.id] = {**hit, "reused": True}
            reused.append(item.id)
            if on_done:
                on_done(results[item.id])
        else:
            todo.append(item)
    by_id = {item.id: item for item in todo}
    for outcome in _execute(config, todo, jobs, ray_address, on_start):
        result = outcome.value if outcome.ok else _crashed(by_id[outcome.key], outcome.error)
        result["reused"] = False
        if result["status"] != ERROR:  # porter's own failures are not remembered: the next run retries them
            cache.put(keys[outcome.key], {k: v for k, v in result.items() if k != "reused"})
        results[outcome.key] = result
        if on_done:
            on_done(result)
    ordered = [results[item.id] for item in config.items]
    baseline = baseline if baseline is not None else config.baseline
    accepted = load_baseline(baseline)
    for r in ordered:
        found = regressions(r, accepted.get(r["id"]))
        if found and r["status"] == PASSED:
            r.update(
                status=FAILED,
                regressions=found,
                reason="precision regression against the baseline: " + "; ".join(found),
            )
    run = CheckRun(ordered, reused)
    if update_baseline and baseline is not None:
        run.baseline_written = write_baseline(baseline, ordered, accepted)
    return run


def _execute(config: CheckConfig, items, jobs: int, ray_address, on_start):
    if not items:
        return
    timeout = max(item.model.timeout for item in items)
    if ray_address is LOCAL:
        from porter.workers import run_isolated

        payloads = [(item.id, item.payload(str(config.root))) for item in items]
        yield from run_isolated(payloads, ITEM_FUNCTION, jobs=jobs, timeout=timeout, on_start=on_start)
        return
    from porter.check.ray_backend import device_resources, run_on_ray

    devices = {item.id: item.device for item in items}
    # a remote cluster gets the project as its working directory; a local instance reads it in place
    root = None if ray_address else str(config.root)
    payloads = [(item.id, item.payload(root)) for item in items]
    yield from run_on_ray(
        payloads,
        ITEM_FUNCTION,
        address=ray_address or None,
        resources=lambda key: device_resources(devices[key]),
        chunk_size=1,
        timeout=timeout,
        working_dir=config.root,
    )


def _crashed(item, error: str) -> dict:
    return {
        "id": item.id,
        "model": item.model.name,
        "target": item.target,
        "device": item.device,
        "status": ERROR,
        "reason": f"the check's worker died: {error}",
        "seconds": 0.0,
    }
