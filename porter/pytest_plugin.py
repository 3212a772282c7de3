"""porter's pytest plugin (entry point pytest11): a project's own tests assert its ports' parity in one line.

    def test_classifier_port(porter_parity):
        porter_parity("models/classifier.onnx", target="paddle")

The fixture runs the same work item as `porter check` (convert, validate, layerwise search on a failure;
in a worker process, with the same result cache under <rootdir>/.porter-cache), fails the test with the
same one-line message (model, target, device, first divergent node), and records the same JUnit
properties (`pytest --junitxml`; strict xunit2 validators reject testcase properties: junit_family=xunit1). Keyword arguments are the keys of a [tool.porter.models.NAME] table;
relative paths are relative to pytest's rootdir.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("porter", "porter parity checks")
    group.addoption("--porter-no-cache", action="store_true", help="porter_parity: rerun every check (no cache).")
    group.addoption(
        "--porter-cache-dir",
        default=None,
        help="porter_parity: result cache directory (default <rootdir>/.porter-cache).",
    )


@pytest.fixture
def porter_parity(request):
    """porter_parity(source, target="paddle", device="cpu", **model_keys) -> the item's result dict."""
    from porter.check.cache import ResultCache, item_key
    from porter.check.config import ConfigError, WorkItem, check_schema, load_schema, model_spec
    from porter.check.item import PASSED
    from porter.check.reports import headline, properties
    from porter.check.run import ITEM_FUNCTION
    from porter.workers import run_isolated

    config = request.config
    root = Path(config.rootpath)
    cache_dir = config.getoption("porter_cache_dir") or root / ".porter-cache"
    cache = None if config.getoption("porter_no_cache") else ResultCache(Path(cache_dir))

    def check(source: str, target: str = "paddle", device: str = "cpu", **keys) -> dict:
        table = {"source": str(source), **keys}
        schema = load_schema()
        problem = check_schema(table, {"$ref": "#/$defs/model"}, "porter_parity", schema) or check_schema(
            [target], {"$ref": "#/$defs/targets"}, "porter_parity target", schema
        )
        name = Path(str(source).rpartition(":")[2] if ":" in str(source) else str(source)).stem
        try:
            if problem:
                raise ConfigError(problem)
            item = WorkItem(model_spec(name, table, {}, root, "porter_parity"), target, device)
        except ConfigError as exc:
            pytest.fail(str(exc), pytrace=False)
        key = item_key(item, root) if cache is not None else None
        result = cache.get(key) if cache is not None else None
        if result is None:
            outcome = next(run_isolated([(item.id, item.payload(str(root)))], ITEM_FUNCTION, jobs=1,
                                        timeout=item.model.timeout))  # fmt: skip
            result = outcome.value if outcome.ok else {
                "id": item.id, "model": name, "target": target, "device": device, "status": "error",
                "reason": f"the check's worker died: {outcome.error}",
            }  # fmt: skip
            if cache is not None and result["status"] != "error":
                cache.put(key, result)
        else:
            result = {**result, "reused": True}
        # pytest's junitxml writes user_properties into the testcase's <properties>; appended directly (as the
        # record_property fixture does) so xunit2, pytest's default family, does not warn on every test
        request.node.user_properties.extend(properties(result).items())
        if result["status"] != PASSED:
            pytest.fail(headline(result), pytrace=False)
        return result

    return check
