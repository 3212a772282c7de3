"""The declarative tier of the mapping tables: one row per ONNX op whose mapping is a direct call.

A row says which target call an op becomes, how ONNX attributes map to keyword arguments and what
ONNX's default for each is. Anything that needs logic is a decorated emitter function instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from porter.codegen import statements
from porter.registry import Registry


def _caller_module(depth: int = 2) -> str:
    return sys._getframe(depth).f_globals.get("__name__", "op_maps")


def direct(
    registry: Registry,
    op_type: str,
    call: str,
    *,
    attrs: dict[str, tuple[str, object]] | None = None,
    n_inputs: int = 1,
    versions: Iterable[int] | None = None,
    dtypes: Iterable[str] | None = None,
    kwargs: dict[str, str] | None = None,
    wrap=None,
    check=None,
):
    """Register `y = call(x0, .., x{n_inputs-1}, kw=attr, ..., **kwargs)`.

    attrs maps ONNX attribute name -> (keyword name, ONNX default); every attribute is read, so a
    value is always passed explicitly (the target's own defaults never decide the numbers).
    kwargs are fixed extra keyword arguments given as source text.
    wrap(n, inputs, make, dtype) lets a target compute in another dtype (e.g. float16 through float32
    where its kernels lack float16) and cast back; it returns the final expression.
    check(n) runs first: shared attribute rules such as porter.semantics.legacy_broadcast.
    """
    attrs = attrs or {}
    fixed = kwargs or {}

    def emit(n):
        if check is not None:
            check(n)
        keywords = {kw: n.lit(n.attr(onnx_name, default)) for onnx_name, (kw, default) in attrs.items()}
        keywords.update(fixed)
        inputs = [n.x(i) for i in range(n_inputs)]
        if wrap is None:  # the statement IR's call: callable, inputs, attributes
            return statements.call(call, *inputs, **keywords)

        def make(*wrapped):  # a target's wrap composes text around the call
            return statements.render_expr(statements.call(call, *wrapped, **keywords))

        return wrap(n, inputs, n.in_dtype(0), make)

    emit.__name__ = f"direct_{op_type.lower()}"
    emit.__module__ = _caller_module()
    registry.register(op_type, versions, dtypes=dtypes, summary=f"{call}")(emit)
    return emit
