"""Write model.py from a lowered Program: header, imports, helpers, the class, load_model()."""

from __future__ import annotations

import re

from porter.codegen.literals import comment_text
from porter.lower import Program

INDENT = "    "


def render_module(program: Program) -> str:
    target = program.target
    body_lines = program.forward_lines + [_return_line(program.return_exprs)]
    helper_src = [program.helpers[name].strip("\n") for name in sorted(program.helpers)]
    load_lines = target.load_model_lines(program.class_name, bool(program.weights), bool(program.eager_only))
    all_code = "\n".join(program.init_lines + body_lines + helper_src + load_lines)
    imports = ["import os", ""]
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
    out += ["", "", f"class {program.class_name}({target.base_class}):"]
    out.append(f"{INDENT}def __init__(self):")
    out.append(f"{INDENT * 2}super().__init__()")
    out += [f"{INDENT * 2}{line}" for line in program.init_lines]
    args = ", ".join(["self", *program.input_names])
    out += ["", f"{INDENT}def {target.forward_name}({args}):"]
    out += [f"{INDENT * 2}{line}" for line in body_lines]
    out += ["", "", "def load_model(weights_dir=None):"]
    out += [f"{INDENT}{line}" for line in load_lines]
    return "\n".join(out) + "\n"


def _return_line(exprs: list[str]) -> str:
    if len(exprs) == 1:
        return f"return {exprs[0]}"
    return f"return {', '.join(exprs)}"
