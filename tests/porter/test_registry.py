import pytest

from porter.registry import Registry, resolve_since, schema_versions


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
