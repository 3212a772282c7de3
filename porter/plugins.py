"""Users' own ops: the extension point for mappings and torch.onnx translations porter does not ship.

A plugin is a Python module the user names (`--plugin mymaps.py`, `--plugin mypkg.maps`,
`porter.convert(..., plugins=[...])`) or an installed package's entry point in the `porter.plugins`
group. Importing it runs its registrations:

    from porter import plugins

    plugins.define_op("com.example", "FusedBiasGelu", inputs=["X", "bias"], outputs=["Y"],
                      attributes={"approximate": "string"})

    @plugins.mapping("paddle", "FusedBiasGelu", domain="com.example")
    def fused_bias_gelu(n):
        '''nn.functional.gelu(X + bias)'''
        return f"nn.functional.gelu({n.x(0)} + {n.x(1)}, approximate={n.attr('approximate', 'none') == 'tanh'})"

    @plugins.torch_translation("mylib::fused_bias_gelu.default")
    def _translation():          # called lazily, only while exporting
        from mylib_onnxscript import fused_bias_gelu
        return fused_bias_gelu

A plugin's mappings go into the same registries, through the same checks, as porter's own tables
(schema versions, duplicates, unhandled attributes refused at convert time, `porter ops`). Only code the
user names is ever loaded: nothing in a model file picks a plugin. Loaded plugins are recorded in
PORTER_PLUGINS so porter's own subprocesses (the torch.onnx export, check and conformance workers) load
them too. A plugin must not import torch, paddle or mindspore at import time: it is loaded in processes
that run one framework each (a translation builder imports what it needs when called). docs/plugins.md.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import onnx
import onnx.defs

from porter.errors import EXIT_USAGE, PorterError
from porter.registry import DEFAULT_DOMAIN

ENV_VAR = "PORTER_PLUGINS"  # os.pathsep-separated plugin specs, inherited by porter's subprocesses
ENTRY_POINT_GROUP = "porter.plugins"
DOCS = "docs/plugins.md"
POINTER = f"a plugin can supply it (`--plugin FILE.py`, see {DOCS})"

# domains onnx (or onnxruntime) defines: a plugin maps their ops but does not redefine them
_RESERVED_DOMAINS = {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training", "ai.onnx.preview"}
_ATTR_TYPES = {
    "float": onnx.defs.OpSchema.AttrType.FLOAT,
    "int": onnx.defs.OpSchema.AttrType.INT,
    "string": onnx.defs.OpSchema.AttrType.STRING,
    "tensor": onnx.defs.OpSchema.AttrType.TENSOR,
    "floats": onnx.defs.OpSchema.AttrType.FLOATS,
    "ints": onnx.defs.OpSchema.AttrType.INTS,
    "strings": onnx.defs.OpSchema.AttrType.STRINGS,
}
_DEFAULT_TYPES = tuple(
    f"tensor({t})"
    for t in ("float", "double", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool")
)
_TORCH_OP = re.compile(r"^[A-Za-z_]\w*::[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$")
_DOMAIN = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")


class PluginError(PorterError):
    """A plugin named by the user could not be found, imported, or registers something malformed."""

    exit_code = EXIT_USAGE


_loaded: list[str] = []  # specs loaded in this process, in order
_configured = False  # entry points and PORTER_PLUGINS have been loaded
_defined: list[tuple[str, int, str]] = []  # (op_type, since, domain) of the schemas define_op registered


def define_op(
    domain: str,
    op_type: str,
    *,
    inputs: Sequence[str],
    outputs: Sequence[str],
    since: int = 1,
    attributes: dict[str, str] | None = None,
    types: Sequence[str] = _DEFAULT_TYPES,
    infer: Callable | None = None,
    doc: str = "",
) -> None:
    """Declare a custom-domain operator to onnx, so the model is checked, shape-inferred and resolved per
    opset version like a standard op. inputs: names, an optional one ending in '?'; attributes: name ->
    float, int, string, tensor, floats, ints or strings; types: the tensor types every input and output
    shares (type variable T). infer(ctx) sets the outputs' types from an onnx InferenceContext; by default
    every output has input 0's type and shape (right for elementwise ops; give `infer` otherwise)."""
    if not isinstance(domain, str) or not _DOMAIN.match(domain) or domain in _RESERVED_DOMAINS:
        raise PluginError(f"define_op: {domain!r} is not a custom domain (onnx's own domains cannot be redefined)")
    if not isinstance(op_type, str) or not op_type.isidentifier():
        raise PluginError(f"define_op: {op_type!r} is not an operator name")
    if not isinstance(since, int) or since < 1:
        raise PluginError(f"define_op {domain}::{op_type}: since must be a positive int, got {since!r}")
    if not outputs or any(not isinstance(name, str) or not name.rstrip("?") for name in (*inputs, *outputs)):
        raise PluginError(f"define_op {domain}::{op_type}: inputs and outputs are lists of names (one output at least)")
    unknown = {k: v for k, v in (attributes or {}).items() if v not in _ATTR_TYPES}
    if unknown:
        name, kind = next(iter(unknown.items()))
        raise PluginError(
            f"define_op {domain}::{op_type}: attribute {name!r} has type {kind!r}; choose from {', '.join(_ATTR_TYPES)}"
        )
    try:
        existing = onnx.defs.get_schema(op_type, since, domain)
    except onnx.defs.SchemaError:
        existing = None
    if existing is not None and existing.since_version == since:
        raise PluginError(f"define_op: {domain}::{op_type} version {since} is already defined")
    schema = onnx.defs.OpSchema(
        op_type,
        domain,
        since,
        doc=doc,
        inputs=[_parameter(name) for name in inputs],
        outputs=[_parameter(name) for name in outputs],
        type_constraints=[("T", list(types), "the tensor types of the operator")],
        attributes=[
            onnx.defs.OpSchema.Attribute(name, _ATTR_TYPES[kind], "", required=False)
            for name, kind in (attributes or {}).items()
        ],
    )
    schema.set_type_and_shape_inference_function(infer or _like_input_0)
    try:
        onnx.defs.register_schema(schema)
    except onnx.defs.SchemaError as exc:
        raise PluginError(f"define_op {domain}::{op_type}: onnx refused the schema: {exc}") from None
    _defined.append((op_type, since, domain))


def _parameter(name: str):
    option = onnx.defs.OpSchema.FormalParameterOption
    optional = name.endswith("?")
    return onnx.defs.OpSchema.FormalParameter(
        name.rstrip("?"), "T", param_option=option.Optional if optional else option.Single
    )


def _like_input_0(ctx) -> None:
    for i in range(ctx.get_num_outputs()):
        ctx.set_output_type(i, ctx.get_input_type(0))


def mapping(
    target: str,
    op_type: str,
    versions: Iterable[int] | None = None,
    *,
    domain: str = DEFAULT_DOMAIN,
    dtypes: Iterable[str] | None = None,
    summary: str | None = None,
    notes: str = "",
    deviation: str = "",
    device: str | None = None,
) -> Callable:
    """Decorator: `fn(n) -> expression | [expressions] | None` maps (domain, op_type, versions) for `target`
    ("paddle" or "mindspore"), exactly as `op(...)` does in op_maps/<target>/ (n is porter.lower.NodeContext).
    A custom domain's op must be declared first with define_op."""
    from porter.targets import get_target, target_names

    if target not in target_names():
        raise PluginError(f"mapping {op_type!r}: unknown target {target!r} (choose from {', '.join(target_names())})")
    register = get_target(target).registry.register(
        op_type,
        versions,
        domain=domain,
        dtypes=dtypes,
        summary=summary,
        notes=notes,
        deviation=deviation,
        device=device,
    )

    def deco(fn: Callable) -> Callable:
        if not callable(fn) or len(inspect.signature(fn).parameters) != 1:
            raise PluginError(
                f"mapping {domain or 'ai.onnx'}::{op_type} for {target}: the emitter takes one argument (n)"
            )
        try:
            return register(fn)
        except ValueError as exc:  # the registry's own checks: unknown op or version, registered twice
            hint = f" (declare it with plugins.define_op({domain!r}, {op_type!r}, ...) first)" if domain else ""
            raise PluginError(
                f"mapping for {target}: {exc}{hint if 'defines no operator' in str(exc) else ''}"
            ) from None

    return deco


def torch_translation(qualified_name: str) -> Callable:
    """Decorator: a builder, called only while exporting, returning the ONNX Script function torch.onnx uses
    for the torch op "namespace::op[.overload]" (e.g. one made with torch.library.custom_op)."""
    from porter.frontends import torch_translations

    if not isinstance(qualified_name, str) or not _TORCH_OP.match(qualified_name):
        raise PluginError(f"torch_translation: {qualified_name!r} is not 'namespace::op' or 'namespace::op.overload'")
    name = qualified_name if "." in qualified_name.partition("::")[2] else f"{qualified_name}.default"
    if name in torch_translations.names():
        raise PluginError(f"torch_translation: {name} already has a translation")
    register = torch_translations.translation(name)

    def deco(builder: Callable) -> Callable:
        if not callable(builder):
            raise PluginError(f"torch_translation {name}: decorate a function that returns the ONNX Script function")
        return register(builder)

    return deco


def loaded() -> list[str]:
    """The plugins loaded in this process, in order."""
    return list(_loaded)


def load(specs: Iterable[str | os.PathLike]) -> list[str]:
    """Load plugins (a .py file path or an importable module name) once each; they stay loaded for the process
    and are passed on to porter's subprocesses. Raises PluginError naming the plugin and the problem."""
    new = []
    for spec in specs:
        key = _key(spec)
        if key in _loaded:
            continue
        _import(key)
        _loaded.append(key)
        new.append(key)
    if new:
        os.environ[ENV_VAR] = os.pathsep.join(_loaded)
    return new


def load_configured() -> None:
    """Once per process: the installed packages' `porter.plugins` entry points, then PORTER_PLUGINS (what a
    parent porter process loaded)."""
    global _configured
    if _configured:
        return
    _configured = True  # set first: a plugin's own registrations come back through here
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        label = f"entry point {entry.name} = {entry.value}"
        if label in _loaded:
            continue
        try:
            entry.load()
        except PluginError as exc:
            raise PluginError(f"plugin {label}: {exc}") from None
        except Exception as exc:
            raise PluginError(f"plugin {label} failed to import: {_why(exc)}") from None
        _loaded.append(label)
    load([s for s in os.environ.get(ENV_VAR, "").split(os.pathsep) if s])


def _key(spec) -> str:
    text = os.fspath(spec)
    if not isinstance(text, str) or not text.strip():
        raise PluginError(f"plugin {spec!r}: give a .py file or a module name")
    if text.endswith(".py") or os.sep in text or os.path.exists(text):
        path = Path(text)
        if not path.is_file():
            raise PluginError(f"plugin {text}: {'not a file' if path.exists() else 'no such file'}")
        if path.suffix != ".py":
            raise PluginError(f"plugin {text}: not a Python file (.py)")
        return str(path.resolve())  # absolute: subprocesses may run elsewhere
    if not all(part.isidentifier() for part in text.split(".")):
        raise PluginError(f"plugin {text!r}: neither an existing .py file nor a module name")
    return text


def _import(key: str) -> None:
    try:
        if key.endswith(".py"):
            path = Path(key)
            name = "porter_plugin_" + re.sub(r"\W", "_", path.stem)
            if name in sys.modules:  # two plugin files of the same name
                name += f"_{len(_loaded)}"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        else:
            importlib.import_module(key)
    except PluginError as exc:
        raise PluginError(f"plugin {key}: {exc}{_where(exc)}") from None
    except ModuleNotFoundError as exc:
        if not key.endswith(".py") and exc.name and key.startswith(exc.name):
            raise PluginError(f"plugin {key}: no such module (not installed; for a file, give its path)") from None
        raise PluginError(f"plugin {key} failed to import: {_why(exc)}") from None
    except Exception as exc:
        raise PluginError(f"plugin {key} failed to import: {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}{_where(exc)}"


def _where(exc: BaseException) -> str:
    """Where in the plugin it was raised: the innermost frame outside porter and importlib."""
    import traceback

    porter_dir = str(Path(__file__).resolve().parent)
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith(("<", porter_dir)) and "importlib" not in f.filename
    ]
    return f" ({Path(frames[-1].filename).name}, line {frames[-1].lineno})" if frames else ""
