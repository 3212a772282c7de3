import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from porter.errors import InvalidModel
from porter.frontends.onnx_source import load_onnx
from tests.models import elementwise_chain


def test_loads_path_bytes_and_proto(tmp_path):
    model = elementwise_chain()
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    for source in (path, str(path), path.read_bytes(), model):
        loaded = load_onnx(source)
        assert [n.op_type for n in loaded.graph.node] == ["Mul", "Abs", "Sqrt", "Add"]
        assert loaded.graph.value_info, "shape inference ran"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b""), "file is empty"),
        (lambda p: p.write_bytes(b"\x08\x07garbage\xff\xff\xff"), "not an ONNX model"),
        (lambda p: p.write_bytes(elementwise_chain().SerializeToString()[:50]), "not an ONNX model|invalid"),
        (lambda p: p.write_text("hello, I am a text file"), "not an ONNX model"),
    ],
    ids=["missing", "directory", "empty", "garbage", "truncated", "text"],
)
def test_bad_files_raise_invalid_model(tmp_path, make, message):
    path = tmp_path / "bad.onnx"
    make(path)
    with pytest.raises(InvalidModel, match=message):
        load_onnx(path)


def test_opset_newer_than_onnx_knows(tmp_path):
    model = elementwise_chain()
    model.opset_import[0].version = onnx.defs.onnx_opset_version() + 5
    with pytest.raises(InvalidModel, match="newer than the installed onnx"):
        load_onnx(model)


def _with_external_weight(tmp_path, location: str) -> onnx.ModelProto:
    model = elementwise_chain()
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value=location)
    return model


@pytest.mark.parametrize("location", ["../outside.bin", "/etc/passwd"])
def test_external_data_outside_model_dir_is_refused(tmp_path, location):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (tmp_path / "outside.bin").write_bytes(b"\0" * 128)
    path = model_dir / "m.onnx"
    path.write_bytes(_with_external_weight(tmp_path, location).SerializeToString())
    with pytest.raises(InvalidModel, match="outside the model's directory"):
        load_onnx(path)


def test_external_data_symlink_escaping_is_refused(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"\0" * 128)
    os.symlink(tmp_path / "secret.bin", model_dir / "w.bin")
    path = model_dir / "m.onnx"
    path.write_bytes(_with_external_weight(tmp_path, "w.bin").SerializeToString())
    with pytest.raises(InvalidModel, match="outside the model's directory"):
        load_onnx(path)


def test_missing_external_data_is_refused(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(_with_external_weight(tmp_path, "absent.bin").SerializeToString())
    with pytest.raises(InvalidModel, match="missing"):
        load_onnx(path)


def test_external_data_inside_model_dir_loads(tmp_path):
    model = elementwise_chain()
    expected = numpy_helper.to_array(model.graph.initializer[0])
    onnx.save(
        model,
        tmp_path / "m.onnx",
        save_as_external_data=True,
        location="weights.bin",
        size_threshold=0,
    )
    loaded = load_onnx(tmp_path / "m.onnx")
    np.testing.assert_array_equal(numpy_helper.to_array(loaded.graph.initializer[0]), expected)


def _graph(nodes, outputs=None, inits=()):
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])]
    outputs = outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])]
    model = helper.make_model(
        helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits)),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    return model


def _raw_tensor(dims, nbytes):
    tensor = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=dims)
    tensor.raw_data = b"\0" * nbytes
    return tensor


@pytest.mark.parametrize(
    "model, message",
    [
        (
            _graph(
                [
                    helper.make_node("Add", ["x", "b"], ["a"], name="first"),
                    helper.make_node("Abs", ["a"], ["b"]),
                    helper.make_node("Abs", ["a"], ["y"]),
                ]
            ),
            "'first' reads 'b' before node",
        ),
        (_graph([helper.make_node("Add", ["x", "nowhere"], ["y"], name="adder")]), "'adder' reads 'nowhere', which no"),
        (
            _graph([helper.make_node("Abs", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["y"], name="again")]),
            "'y' is produced twice",
        ),
        (
            _graph(
                [helper.make_node("Abs", ["x"], ["y"])],
                outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
            ),
            "declared and inferred shapes/types disagree",
        ),
        (
            _graph([helper.make_node("Add", ["x", "w"], ["y"])], inits=[_raw_tensor([1 << 20, 1 << 20], 16)]),
            "GiB of tensors|too small for the declared shape",
        ),
        (
            _graph([helper.make_node("Add", ["x", "w"], ["y"])], inits=[_raw_tensor([2], 4)]),
            "too small for the declared shape",
        ),
    ],
    ids=["cycle", "dangling-input", "duplicate-name", "shape-mismatch", "huge-declared-tensor", "short-raw-data"],
)
def test_malformed_graphs_name_the_problem(model, message):
    with pytest.raises(InvalidModel, match=message):
        load_onnx(model.SerializeToString())


def test_huge_declared_tensor_is_refused_before_allocating(tmp_path):
    model = _graph([helper.make_node("Add", ["x", "w"], ["y"])], inits=[_raw_tensor([1 << 20, 1 << 20], 16)])
    path = tmp_path / "huge.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(InvalidModel, match="4096.0 GiB of tensors"):
        load_onnx(path)


def test_external_data_shorter_than_declared_is_refused(tmp_path):
    model = elementwise_chain()
    onnx.save(model, tmp_path / "m.onnx", save_as_external_data=True, location="w.bin", size_threshold=0)
    data = (tmp_path / "w.bin").read_bytes()
    (tmp_path / "w.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidModel, match="shorter than declared"):
        load_onnx(tmp_path / "m.onnx")


def _hub_cache(tmp_path, blob_target=None):
    """A Hugging Face hub cache: snapshots/REV/model.onnx and its data are symlinks into ../../blobs."""
    model = elementwise_chain()
    expected = numpy_helper.to_array(model.graph.initializer[0])  # before onnx.save moves it out
    onnx.save(model, tmp_path / "m.onnx", save_as_external_data=True, location="model.onnx_data", size_threshold=0)
    repo = tmp_path / "hub" / "models--org--tiny"
    (repo / "blobs").mkdir(parents=True)
    snapshot = repo / "snapshots" / "0123abc"
    snapshot.mkdir(parents=True)
    (tmp_path / "m.onnx").rename(repo / "blobs" / "aa11")
    (tmp_path / "model.onnx_data").rename(repo / "blobs" / "bb22")
    os.symlink("../../blobs/aa11", snapshot / "model.onnx")
    os.symlink(blob_target or "../../blobs/bb22", snapshot / "model.onnx_data")
    return expected, snapshot / "model.onnx"


def test_a_hugging_face_hub_snapshot_loads(tmp_path):
    expected, path = _hub_cache(tmp_path)
    loaded = load_onnx(path)
    np.testing.assert_array_equal(numpy_helper.to_array(loaded.graph.initializer[0]), expected)


def test_a_hub_snapshot_link_that_leaves_the_cached_repository_is_refused(tmp_path):
    (tmp_path / "secret.bin").write_bytes(b"\0" * 4096)
    _, path = _hub_cache(tmp_path, blob_target="../../../../../secret.bin")
    with pytest.raises(InvalidModel, match="outside the model's directory"):
        load_onnx(path)
    # a blobs folder of another cached repository is outside too
    other = tmp_path / "hub" / "models--evil--repo" / "blobs"
    other.mkdir(parents=True)
    (other / "cc33").write_bytes(b"\0" * 4096)
    (path.parent / "model.onnx_data").unlink()
    os.symlink("../../../models--evil--repo/blobs/cc33", path.parent / "model.onnx_data")
    with pytest.raises(InvalidModel, match="outside the model's directory"):
        load_onnx(path)


def test_hard_links_and_nul_bytes_in_external_data_are_refused(tmp_path):
    onnx.save(elementwise_chain(), tmp_path / "m.onnx", save_as_external_data=True, location="w.bin", size_threshold=0)
    os.link(tmp_path / "w.bin", tmp_path / "elsewhere.bin")
    with pytest.raises(InvalidModel, match="'w.bin' .* has several hard links"):
        load_onnx(tmp_path / "m.onnx")
    path = tmp_path / "n.onnx"
    path.write_bytes(_with_external_weight(tmp_path, "w\0.bin").SerializeToString())
    with pytest.raises(InvalidModel, match="not a valid file name"):
        load_onnx(path)


def _varint(n: int) -> bytes:
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def _field(number: int, payload: bytes) -> bytes:  # a length-delimited protobuf field
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_subgraphs_nested_500_deep_are_refused_with_the_reason(tmp_path):
    # written on the wire directly: the protobuf library itself cannot build a message this deep
    graph = _field(1, _field(4, b"Identity"))  # GraphProto.node: NodeProto.op_type
    for _ in range(500):
        attribute = _field(1, b"then_branch") + _field(6, graph) + _varint(20 << 3) + _varint(5)  # name, g, type
        graph = _field(1, _field(4, b"If") + _field(5, attribute))  # GraphProto.node: NodeProto(op_type, attribute)
    model = _varint(1 << 3) + _varint(8) + _field(7, graph) + _field(8, _varint(2 << 3) + _varint(17))
    (tmp_path / "deep.onnx").write_bytes(model)
    with pytest.raises(InvalidModel, match="nested deeper than protobuf can parse"):
        load_onnx(tmp_path / "deep.onnx")


def _mlp(width: int = 64) -> onnx.ModelProto:
    """x @ W (a weight past the weight-less copy's limit) + b, then an If whose branches read W's result."""
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((width, width)).astype(np.float32), "w")
    shape = numpy_helper.from_array(np.array([-1, width // 2, 2], dtype=np.int64), "shape")
    branch = helper.make_graph(
        [helper.make_node("Relu", ["y"], ["r"])],
        "branch",
        [],
        [helper.make_tensor_value_info("r", TensorProto.FLOAT, ["batch", width])],
    )
    cond = numpy_helper.from_array(np.array(True), "cond")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["y"]),
            helper.make_node("If", ["cond"], ["z"], then_branch=branch, else_branch=branch),
            helper.make_node("Reshape", ["z", "shape"], ["out"]),
        ],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", width // 2, 2])],
        initializer=[weight, shape, cond],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _types(graph: onnx.GraphProto) -> dict:
    return {vi.name: vi.type.SerializeToString() for vi in list(graph.value_info) + list(graph.output)}


@pytest.mark.parametrize("external", [False, True], ids=["inline", "external-data"])
def test_lazy_loading_maps_the_weights_and_infers_what_onnx_infers(tmp_path, monkeypatch, external):
    from porter.frontends import onnx_source
    from porter.frontends.onnx_source import tensor_array

    monkeypatch.setattr(onnx_source, "LAZY_FILE_BYTES", 0)  # this small file's weights are found too
    model = _mlp()
    expected = numpy_helper.to_array(model.graph.initializer[0])
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    path = tmp_path / "m.onnx"
    if external:
        onnx.save(model, path, save_as_external_data=True, location="w.bin", size_threshold=1024)
    else:
        onnx.save(model, path)
    lazy, eager = load_onnx(path, lazy=True), load_onnx(path)
    weight = lazy.graph.initializer[0]
    assert weight.data_location == TensorProto.EXTERNAL and not weight.HasField("raw_data")
    array = tensor_array(weight)
    assert isinstance(array, np.memmap) and not array.flags.writeable
    np.testing.assert_array_equal(array, expected)
    np.testing.assert_array_equal(tensor_array(eager.graph.initializer[0]), expected)
    assert _types(lazy.graph) == _types(eager.graph) == _types(inferred.graph)
    assert {"y", "z"} <= set(_types(lazy.graph))
    subgraph = lazy.graph.node[1].attribute[0].g
    assert _types(subgraph) == _types(inferred.graph.node[1].attribute[0].g)


def test_a_weight_shorter_than_declared_is_refused_without_the_checker(tmp_path, monkeypatch):
    from porter.frontends import onnx_source
    from porter.frontends.onnx_source import tensor_array

    monkeypatch.setattr(onnx_source, "LAZY_FILE_BYTES", 0)
    model = _mlp()
    model.graph.initializer[0].raw_data = model.graph.initializer[0].raw_data[:-8]
    with pytest.raises(InvalidModel, match="initializer 'w': its data does not match its dims"):
        tensor_array(load_onnx(model).graph.initializer[0])
    onnx.save(model, tmp_path / "m.onnx")  # lazily loaded: the size of the weight in the file is measured
    with pytest.raises(InvalidModel, match="tensor 'w' is shorter than declared"):
        load_onnx(tmp_path / "m.onnx", lazy=True)
    model.graph.initializer[0].ClearField("raw_data")
    with pytest.raises(InvalidModel, match="initializer 'w' should hold its values in exactly one field"):
        load_onnx(model)


def test_external_data_of_a_model_without_a_directory_is_refused(tmp_path):
    onnx.save(_mlp(), tmp_path / "m.onnx", save_as_external_data=True, location="w.bin", size_threshold=1024)
    model = onnx.load(tmp_path / "m.onnx", load_external_data=False)
    for source in (model, model.SerializeToString()):
        with pytest.raises(InvalidModel, match="tensor 'w' keeps its data in an external file.*pass the .onnx"):
            load_onnx(source)


def test_a_scan_body_s_untyped_inputs_get_the_types_inference_gives_them():
    # the ONNX suite's expanded LinearAttention: the body's q_t has no type; CastLike(.., q_t) needs one
    body = helper.make_graph(
        [
            helper.make_node("Add", ["state_in", "q_t"], ["state_out"]),
            helper.make_node("CastLike", ["state_out", "q_t"], ["out_t"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("state_in", TensorProto.UNDEFINED, None),
            helper.make_tensor_value_info("q_t", TensorProto.UNDEFINED, None),
        ],  # fmt: skip
        [
            helper.make_tensor_value_info("state_out", TensorProto.UNDEFINED, None),
            helper.make_tensor_value_info("out_t", TensorProto.UNDEFINED, None),
        ],  # fmt: skip
    )
    scan = helper.make_node("Scan", ["init", "q"], ["final", "outs"], body=body, num_scan_inputs=1)
    graph = helper.make_graph(
        [scan],
        "g",
        [
            helper.make_tensor_value_info("init", TensorProto.FLOAT, [4]),
            helper.make_tensor_value_info("q", TensorProto.FLOAT, [3, 4]),
        ],  # fmt: skip
        [helper.make_tensor_value_info("outs", TensorProto.FLOAT, [3, 4])],
    )
    model = load_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]))
    loaded_body = model.graph.node[0].attribute[0].g
    assert [vi.type.tensor_type.elem_type for vi in loaded_body.input] == [TensorProto.FLOAT, TensorProto.FLOAT]
