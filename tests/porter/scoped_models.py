"""ONNX graphs that carry torch.onnx's module metadata, built in code (no torch): what the module tree,
the structured code generator and the fusions see in a dynamo export."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_SCOPES = "pkg.torch.onnx.name_scopes"
_CLASSES = "pkg.torch.onnx.class_hierarchy"


def scoped(node: onnx.NodeProto, modules: list[tuple[str, str]], op: str) -> onnx.NodeProto:
    """Attach metadata: `modules` = [(path, class), ...] below the root, `op` = the fx node."""
    chain = [("", "tests.Net"), *modules, (op, f"aten.{op}.default")]
    node.metadata_props.add(key=_SCOPES, value=repr([p for p, _ in chain]))
    node.metadata_props.add(key=_CLASSES, value=repr([c for _, c in chain]))
    return node


def stacked_blocks(depth: int = 2, width: int = 8, metadata: bool = True) -> onnx.ModelProto:
    """x -> depth x Block(fc: Linear with bias, act: ReLU, residual add) -> head Linear.

    The Linear is written as torch.onnx writes it: MatMul by a pre-transposed weight, then Add of the bias.
    """
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    h = "x"
    for i in range(depth):
        block = (f"blocks.{i}", "tests.Block")
        fc = (f"blocks.{i}.fc", "torch.nn.modules.linear.Linear")
        act = (f"blocks.{i}.act", "torch.nn.modules.activation.ReLU")
        w, b = f"val_{10 * i}", f"blocks.{i}.fc.bias"
        inits += [
            numpy_helper.from_array(rng.standard_normal((width, width)).astype(np.float32), w),
            numpy_helper.from_array(rng.standard_normal(width).astype(np.float32), b),
        ]
        made = [
            (helper.make_node("MatMul", [h, w], [f"matmul_{i}"]), [block, fc], "linear"),
            (helper.make_node("Add", [f"matmul_{i}", b], [f"linear_{i}"]), [block, fc], "linear"),
            (helper.make_node("Relu", [f"linear_{i}"], [f"relu_{i}"]), [block, act], "relu"),
            (helper.make_node("Add", [h, f"relu_{i}"], [f"add_{i}"]), [block], "add"),
        ]
        nodes += [scoped(n, m, op) if metadata else n for n, m, op in made]
        h = f"add_{i}"
    inits.append(numpy_helper.from_array(rng.standard_normal((width, 3)).astype(np.float32), "head.weight"))
    head = helper.make_node("MatMul", [h, "head.weight"], ["y"])
    nodes.append(scoped(head, [("head", "torch.nn.modules.linear.Linear")], "linear") if metadata else head)
    graph = helper.make_graph(
        nodes,
        "Net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model


def reshaped_linear(width: int = 8, scale: bool = False, gemm: bool = False) -> onnx.ModelProto:
    """A module that is a Linear between two reshapes, as GPT-2's Conv1D is: x [batch, 4, width] ->
    proj (reshape to rows, MatMul + bias Add, reshape back) -> Relu. With `scale`, the module also holds a
    parameter of its own that multiplies the result (as DeepSeek's router holds a buffer beside its weight).
    With `gemm`, the Linear is one Gemm holding its weight [out, in] (transB=1), as torch's Linear does."""
    rng = np.random.default_rng(1)
    proj = [("proj", "transformers.pytorch_utils.Conv1D")]
    nodes = [
        scoped(helper.make_node("Reshape", ["x", "rows"], ["view"]), proj, "view"),
        scoped(helper.make_node("MatMul", ["view", "proj.weight"], ["mm"]), proj, "addmm"),
        scoped(helper.make_node("Add", ["mm", "proj.bias"], ["addmm"]), proj, "addmm"),
        scoped(helper.make_node("Reshape", ["addmm", "back"], ["view_1"]), proj, "view"),
        scoped(helper.make_node("Relu", ["view_1"], ["y"]), [], "relu"),
    ]
    if gemm:
        nodes[1:3] = [scoped(helper.make_node("Gemm", ["view", "proj.weight", "proj.bias"], ["addmm"], transB=1), proj, "addmm")]  # fmt: skip
    if scale:
        nodes[-2].output[0] = "view_2"
        nodes.insert(len(nodes) - 1, scoped(helper.make_node("Mul", ["view_2", "proj.scale"], ["view_1"]), proj, "mul"))
    inits = [
        numpy_helper.from_array(rng.standard_normal((width, width)).astype(np.float32), "proj.weight"),
        numpy_helper.from_array(rng.standard_normal(width).astype(np.float32), "proj.bias"),
        numpy_helper.from_array(np.array([-1, width], np.int64), "rows"),
        numpy_helper.from_array(np.array([-1, 4, width], np.int64), "back"),
    ]
    if scale:
        inits.append(numpy_helper.from_array(rng.standard_normal(width).astype(np.float32), "proj.scale"))
    graph = helper.make_graph(
        nodes,
        "Net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, width])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model


def two_sized_conv1d(widths: tuple[int, int] = (8, 16)) -> onnx.ModelProto:
    """GPT-2's MLP: two Conv1D modules of different sizes (c_fc width -> hidden, c_proj hidden -> width), each a
    reshape to rows, MatMul + bias Add, and a reshape back to [batch, 4, out]: one class in the source."""
    rng = np.random.default_rng(2)
    width, hidden = widths
    nodes, inits, h = [], [], "x"
    for name, n_in, n_out in (("c_fc", width, hidden), ("c_proj", hidden, width)):
        scope = [("mlp", "tests.MLP"), (f"mlp.{name}", "transformers.pytorch_utils.Conv1D")]
        nodes += [
            scoped(helper.make_node("Reshape", [h, f"{name}.rows"], [f"{name}_view"]), scope, "view"),
            scoped(helper.make_node("MatMul", [f"{name}_view", f"mlp.{name}.weight"], [f"{name}_mm"]), scope, "addmm"),
            scoped(helper.make_node("Add", [f"{name}_mm", f"mlp.{name}.bias"], [f"{name}_addmm"]), scope, "addmm"),
            scoped(helper.make_node("Reshape", [f"{name}_addmm", f"{name}.back"], [f"{name}_out"]), scope, "view"),
        ]
        inits += [
            numpy_helper.from_array(rng.standard_normal((n_in, n_out)).astype(np.float32), f"mlp.{name}.weight"),
            numpy_helper.from_array(rng.standard_normal(n_out).astype(np.float32), f"mlp.{name}.bias"),
            numpy_helper.from_array(np.array([-1, n_in], np.int64), f"{name}.rows"),
            numpy_helper.from_array(np.array([-1, 4, n_out], np.int64), f"{name}.back"),
        ]
        if name == "c_fc":
            nodes.append(scoped(helper.make_node("Relu", [f"{name}_out"], ["act"]), [("mlp", "tests.MLP")], "relu"))
            h = "act"
    nodes[-1].output[0] = "y"
    graph = helper.make_graph(
        nodes,
        "Net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, width])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model
