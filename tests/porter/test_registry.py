import pytest

from porter.registry import Registry, resolve_since, schema_versions
from tests.fresh_process import json_result


def test_schema_versions_lists_every_since_version():
    assert schema_versions("Relu") == [1, 6, 13, 14]


def test_resolve_since_uses_the_opset_in_force():
    assert resolve_since("Relu", 12) == 6
    assert resolve_since("Relu", 13) == 13
    assert resolve_since("NoSuchOp", 13) is None


def test_registering_an_unknown_version_fails_loudly():
    registry = Registry("test")
    with pytest.raises(ValueError, match="not a schema version"):
        registry.register("Relu", versions=[7])(lambda n: "x")


def test_lookup_returns_none_for_unmapped_version():
    registry = Registry("test")
    registry.register("Relu", versions=[14])(lambda n: "x")
    mapping, since = registry.lookup("Relu", 12)
    assert mapping is None and since == 6
    mapping, since = registry.lookup("Relu", 18)
    assert mapping is not None and since == 14


def test_device_rows_replace_the_default_only_for_that_device():
    registry = Registry("test")
    registry.register("Relu", versions=[14])(lambda n: "default")
    registry.register("Relu", versions=[14], device="ascend")(lambda n: "ascend")
    assert registry.lookup("Relu", 18, device="ascend")[0].emit(None) == "ascend"
    assert registry.lookup("Relu", 18)[0].emit(None) == "default"
    assert registry.lookup("Relu", 18, device="gpu")[0].emit(None) == "default"
    assert registry.devices() == {"Relu": ["ascend"]}


def test_mindspore_ascend_uses_the_mint_kernel_and_cpu_the_classic_one():
    import numpy as np

    import porter
    from tests.op_maps.harness import NodeCase, build_model

    model = build_model(NodeCase("g", "Gelu", {"x": np.ones((2, 3), np.float32)}))
    assert "mindspore.mint.nn.functional.gelu" in porter.generate(model, "mindspore", device="ascend")[1]
    assert "ops.gelu(" in porter.generate(model, "mindspore")[1]


def test_registering_twice_fails_at_once_whichever_versions_overlap():
    registry = Registry("test")
    registry.register("Relu")(lambda n: "all")
    registry.register("Relu", device="ascend")(lambda n: "ascend")  # another device: no overlap
    with pytest.raises(ValueError, match="Relu v1 registered twice"):
        registry.register("Relu")(lambda n: "again")
    with pytest.raises(ValueError, match="Relu v13 registered twice"):
        registry.register("Relu", versions=[13])(lambda n: "one")
    registry.register("Sigmoid", versions=[6])(lambda n: "six")
    registry.register("Sigmoid", versions=[13])(lambda n: "thirteen")  # disjoint versions
    with pytest.raises(ValueError, match="Sigmoid v6 registered twice"):
        registry.register("Sigmoid")(lambda n: "all")
    with pytest.raises(ValueError, match="onnx defines no operator ai.onnx::NoSuchOp"):
        registry.register("NoSuchOp")(lambda n: "x")


def test_an_op_without_explicit_versions_gets_a_row_per_schema_version_when_first_used(monkeypatch):
    import porter.registry

    registry = Registry("test")
    listed = []
    real = porter.registry.schema_versions
    monkeypatch.setattr(porter.registry, "schema_versions", lambda *a: listed.append(a) or real(*a))
    registry.register("Relu")(lambda n: "relu")
    registry.register("Sigmoid")(lambda n: "sigmoid")
    assert listed == []  # registering walks no schema history
    mapping, since = registry.lookup("Relu", 12)
    assert (mapping.since, since, mapping.emit(None)) == (6, 6, "relu")
    assert listed == [("Relu", "")]  # only the op looked up
    assert [(m.op_type, m.since) for m in registry.items()] == [
        *(("Relu", v) for v in schema_versions("Relu")),
        *(("Sigmoid", v) for v in schema_versions("Sigmoid")),
    ]


def test_importing_a_target_table_expands_no_op():
    # a fresh interpreter: the tables are imported in this one already. (The few tables that register
    # "every version from N on", Scan and MindSpore's TopK, list those versions themselves.)

    script = (
        "import json, porter.registry as r; ops = []; real = r.Registry._expand\n"
        "r.Registry._expand = lambda self, d, o: ops.append(o) or real(self, d, o)\n"
        "import porter.op_maps.paddle as p, porter.op_maps.mindspore\n"
        "before = list(ops); p.REGISTRY.lookup('Conv', 13)\n"
        "print(json.dumps([before, ops]))"
    )
    assert json_result(script) == [[], ["Conv"]]
