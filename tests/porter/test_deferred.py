"""onnx_ir with sympy deferred: the convert path never executes sympy, symbolic-dim arithmetic still gets the
real one. Each check runs in a fresh interpreter (pytest's own process may have imported sympy already)."""

import json
import textwrap
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from tests.fresh_process import json_result


def _run(script: str, *args) -> dict:
    return json_result(textwrap.dedent(script), *args)


def _symbolic_identity_model(path):
    """x[batch, 4] -> Identity -> Relu: a symbolic dim, and an Identity, so the passes read it into onnx_ir."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    nodes = [helper.make_node("Identity", ["x"], ["h"]), helper.make_node("Relu", ["h"], ["y"])]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)


def test_convert_path_does_not_execute_sympy(tmp_path):
    # the whole CLI is imported and a graph with a symbolic dim goes through onnx_ir's reader and passes:
    # if a module-level `import sympy` (or a use of it) comes back on this path, sympy.core is loaded
    model = tmp_path / "m.onnx"
    _symbolic_identity_model(model)
    result = _run(
        """
        import json, sys
        import porter, porter.cli
        result = porter.convert(sys.argv[1], "paddle", sys.argv[2])
        print(json.dumps({"passes": "onnx_ir.serde" in sys.modules, "ops": [r["op_type"] for r in result.ops],
                          "sympy_loaded": "sympy.core" in sys.modules}))
        """,
        model,
        tmp_path / "out",
    )
    assert result["passes"] and result["ops"] == ["Relu"]  # the Identity pass ran on onnx_ir
    assert not result["sympy_loaded"]


# What `porter convert` of a CNN never uses, and what each cost a fresh process when it was imported anyway:
# onnx.reference ~0.13 s (constant folding of Unsqueeze & co. is numpy now, porter/numpy_folds.py), the
# other commands' modules and what porter.weights imports (multiprocessing, concurrent.futures, logging),
# the validators, and any framework.
NOT_ON_THE_CONVERT_PATH = (
    "sympy.core",
    "onnx_ir",
    "onnx.reference",
    "porter.cli.check",
    "porter.cli.conformance",
    "porter.cli.inspect",
    "porter.cli.kernels",
    "porter.cli.validate",
    "porter.cli.weights",
    "porter.weights",
    "porter.checkpoints",
    "porter.validators",
    "multiprocessing",
    "concurrent.futures",
    "torch",
    "paddle",
    "mindspore",
    "onnxruntime",
)


def _folded_unsqueeze_model(path):
    """A BatchNorm scale unsqueezed to [C, 1, 1] and multiplied in, as densenet121 does 242 times: the
    Unsqueeze of an initializer is folded at convert time."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])
    scale = helper.make_tensor("scale", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0])
    nodes = [
        helper.make_node("Unsqueeze", ["scale"], ["s"], axes=[1, 2]),
        helper.make_node("Mul", ["x", "s"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=[scale])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)]), path)


def test_the_convert_command_imports_only_what_it_uses(tmp_path):
    # the command as a user runs it (argv through click), on a CNN and on a graph with a folded node
    tiny_cnn = Path(__file__).resolve().parents[2] / "examples" / "tiny_cnn.onnx"
    folded = tmp_path / "folded.onnx"
    _folded_unsqueeze_model(folded)
    for model in (tiny_cnn, folded):
        result = _run(
            """
            import json, sys
            from porter.cli import main
            model, out, unused = sys.argv[1], sys.argv[2], sys.argv[3:]
            sys.argv = ["porter", "convert", model, "--to", "paddle", "-o", out]
            try:
                main()
            except SystemExit as exc:
                code = exc.code
            print(json.dumps({"exit": code, "loaded": [m for m in unused if m in sys.modules]}))
            """,
            model,
            tmp_path / f"out_{model.stem}",
            *NOT_ON_THE_CONVERT_PATH,
        )
        assert result == {"exit": 0, "loaded": []}, model.name
    report = json.loads((tmp_path / "out_folded" / "report.json").read_text())
    assert [(r["op_type"], r["mapping"]) for r in report["ops"]][0] == ("Unsqueeze", "folded")


def test_symbolic_dims_get_real_sympy():
    result = _run(
        """
        import json, sys
        before = list(sys.meta_path)
        from porter.deferred import import_onnx_ir
        ir = import_onnx_ir()
        unloaded = "sympy.core" not in sys.modules
        dim = ir.SymbolicDim("batch") * 2 + 1  # onnx_ir._core's sympy arithmetic
        largest = ir.SymbolicDim("max(a, b)")  # onnx_ir._symbolic_shapes' parser and function table
        import sympy
        print(json.dumps({
            "unloaded_before_use": unloaded,
            "hook_removed": sys.meta_path == before,
            "value": dim.value, "evaluated": dim.evaluate({"batch": 3}),
            "max": largest.evaluate({"a": 2, "b": 5}),
            "real_sympy": isinstance(sympy.Symbol("n") + 1, sympy.Expr) and "sympy.core" in sys.modules,
            "same_module": sys.modules["onnx_ir._symbolic_shapes"].sympy is sympy,
        }))
        """
    )
    assert result == {
        "unloaded_before_use": True,
        "hook_removed": True,
        "value": "2*batch + 1",
        "evaluated": 7,
        "max": 5,
        "real_sympy": True,
        "same_module": True,
    }


def test_nothing_deferred_when_sympy_is_already_imported():
    result = _run(
        """
        import json, sys
        import sympy
        from porter.deferred import import_onnx_ir
        ir = import_onnx_ir()
        print(json.dumps({"same": sys.modules["sympy"] is sympy,
                          "evaluated": (ir.SymbolicDim("n") + 1).evaluate({"n": 1})}))
        """
    )
    assert result == {"same": True, "evaluated": 2}
