"""onnx_ir without sympy's import cost: sympy is loaded the first time it is used, not when onnx_ir is.

onnx_ir imports sympy at module level (onnx_ir._core, onnx_ir._symbolic_shapes) for one feature:
arithmetic on symbolic dims (`SymbolicDim("batch") + 1`, `.evaluate`, `.simplify`). Reading a model,
running passes and writing nodes back never does that arithmetic (a dim parsed from a file is a plain
string), yet `import sympy` is about half a second: most of a small model's `porter convert`.

`import_onnx_ir()` imports onnx_ir with those two modules behind importlib.util.LazyLoader: the names are
bound at once, and the real module executes on the first attribute read (`sympy.Symbol`, `isinstance(x,
sympy.Expr)`), so every symbolic-dim path still gets the real sympy. `onnx_ir._symbolic_shapes` is deferred
too because its module body reads `sympy.Max` etc. into a table, which would load sympy at once.

Only the first import is affected, and only when neither module is imported yet: if the process already has
sympy (torch imports it), or already has onnx_ir, nothing is deferred. The finder is on sys.meta_path only
while onnx_ir imports. (Before Python 3.12 a lazy module's first load is not guarded by a lock; porter
touches symbolic dims from the converting thread only.)
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

# What onnx_ir imports that only its symbolic-dim arithmetic needs.
DEFERRED = ("sympy", "onnx_ir._symbolic_shapes")


class _LazyFinder:
    """A sys.meta_path finder that gives each named module, once, a lazily executing loader: it asks the
    finders after it for the real spec and wraps the spec's loader in importlib.util.LazyLoader."""

    def __init__(self, names):
        self.pending = set(names)

    def find_spec(self, name, path, target=None):
        if name not in self.pending:
            return None
        self.pending.discard(name)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


def import_onnx_ir() -> ModuleType:
    """onnx_ir, imported (on the first call in a fresh process) with DEFERRED loading on first use."""
    if "onnx_ir" in sys.modules or any(name in sys.modules for name in DEFERRED):
        import onnx_ir

        return onnx_ir
    finder = _LazyFinder(DEFERRED)
    sys.meta_path.insert(0, finder)
    try:
        import onnx_ir
    finally:
        sys.meta_path.remove(finder)
    return onnx_ir
