"""Write model.py from a lowered Program: header, imports, helpers, the classes, load_model()."""

from __future__ import annotations

import re

from porter.codegen.literals import comment_text
from porter.codegen.statements import render_all
from porter.lower import Program

INDENT = "    "


def render_module(program: Program) -> str:
    target = program.target
    helper_src = [program.helpers[name].strip("\n") for name in sorted(program.helpers)]
    load_lines = target.load_model_lines(
        program.class_name, bool(program.weights), bool(program.eager_only), program.input_specs
    )
    classes = [
        _render_class(
            c.name,
            target,
            c.init_body,
            c.params,
            c.forward_body,
            c.return_exprs,
            c.base,
            [f"{p}={c.defaults[p]}" if p in c.defaults else p for p in c.init_params],
        )
        for c in program.classes
    ]
    classes.append(
        _render_class(
            program.class_name,
            target,
            program.init_body,
            program.input_names,
            program.forward_body,
            program.return_exprs,
        )
    )
    all_code = "\n".join(helper_src + load_lines + [line for c in classes for line in c])
    imports = ["import json"] if re.search(r"\bjson\.", all_code) else []  # load_model reads a shard index
    imports += ["import os", ""]
    if re.search(r"\bnp\.", all_code):
        imports += ["import numpy as np"]
    imports += list(target.imports)

    out: list[str] = []
    if program.header:
        out.append(f"# {comment_text(program.header, 200)}")
    if program.input_descr:
        out.append(f"# Inputs: {comment_text('; '.join(program.input_descr), 400)}")
    out += imports
    for src in helper_src:
        out += ["", "", src]
    for lines in classes:
        out += ["", "", *lines]
    out += ["", "", "def load_model(weights_dir=None):"]
    out += [f"{INDENT}{line}" for line in load_lines]
    return "\n".join(out) + "\n"


def _render_class(name, target, init_body, params, forward_body, return_exprs, base=None, init_params=()) -> list[str]:
    """A module class; with `base` (layer class, constructor arguments) a subclass of that framework layer,
    whose sizes it may take as its own constructor's `init_params`."""
    base_class, super_args = base or (target.base_class, "")
    out = [
        f"class {name}({base_class}):",
        f"{INDENT}def __init__({', '.join(['self', *init_params])}):",
        f"{INDENT * 2}super().__init__({super_args})",
    ]
    out += [f"{INDENT * 2}{line}" for line in render_all(init_body)]
    args = ", ".join(["self", *params])
    out += ["", f"{INDENT}def {target.forward_name}({args}):"]
    out += [f"{INDENT * 2}{line}" for line in [*render_all(forward_body), _return_line(return_exprs)]]
    return out


def _return_line(exprs: list[str]) -> str:
    return f"return {', '.join(exprs)}"
