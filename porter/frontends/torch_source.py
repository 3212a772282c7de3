"""PyTorch front end: an nn.Module (plus example inputs) becomes an ONNX ModelProto.

torch.onnx's dynamo exporter is tried first (it keeps state_dict names for the weights and records
module scopes on nodes); the TorchScript exporter is the fallback. Which one succeeded, and why the
other failed, is recorded in the result so report.json can say so.

From the CLI a source is "package.module:factory" or "path/to/file.py:factory"; the factory returns
the module, or (module, example_inputs). It runs in a subprocess (`python -m
porter.frontends.torch_source`), so torch never shares a process with another framework and a factory
that crashes or hangs cannot take porter down.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

import onnx

from porter import launcher
from porter.errors import InvalidModel, PorterError
from porter.frontends.torch_translations import check_batch_norms, source_state_kept, translation_table

DEFAULT_OPSET = 18
EXPORT_TIMEOUT = 1800


def is_torch_spec(source) -> bool:
    """True for "pkg.module:factory" / "file.py:factory" strings (not existing files)."""
    if not isinstance(source, str) or ":" not in source or os.path.exists(source):
        return False
    module, _, factory = source.rpartition(":")
    return bool(module) and factory.isidentifier()


def is_torch_module(source) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(source, torch.nn.Module)


STATIC_AXIS = "_"  # in a per-input axis list: this axis keeps the example's size


def parse_dynamic(dynamic) -> dict[str, list[str | None]]:
    """Dynamic axes as {input name or "*": [dim name or None per axis]}.

    `dynamic` is a list of dim names for axes 0, 1, ... of every input (["batch", "seq"]), a dict by input
    name ({"input_ids": ["batch", "seq"], "pixel_values": ["batch"]}; None or "_" keeps an axis static), or
    the CLI's strings: "batch,seq" for every input, "pixel_values:batch,_,h,w" for one.
    """
    if not dynamic:
        return {}
    if isinstance(dynamic, dict):
        items = dynamic.items()
    else:
        items = []
        plain = []
        for entry in dynamic:
            if ":" in entry:
                name, _, dims = entry.partition(":")
                items.append((name.strip(), dims.split(",")))
            else:
                plain.append(entry)
        items = [("*", plain)] + items if plain else items
    spec = {}
    for name, dims in items:
        if not (name == "*" or name.isidentifier() or name.isdigit()):
            raise PorterError(f"dynamic axes: {name!r} is not an input name (use the forward's parameter name)")
        axes = [None if d in (None, "", STATIC_AXIS) else str(d).strip() for d in dims]
        bad = [d for d in axes if d is not None and not d.isidentifier()]
        if bad:
            raise PorterError(f"dynamic axes of {name}: {bad[0]!r} is not a dim name (letters, digits, _)")
        spec[name] = axes
    return spec


def _input_axes(spec: dict, name: str, index: int) -> list[str | None]:
    return spec.get(name, spec.get(str(index), spec.get("*", [])))


def _dynamic_shapes(module, example_inputs, spec: dict, keywords: dict | None = None):
    """torch.export dynamic_shapes for the inputs: each input's axes from `spec` (parse_dynamic), by the
    forward's parameter name, its position, or "*" for every input (positional inputs as a tuple,
    keyword inputs as a dict by name, as torch.export expects them)."""
    import inspect

    import torch

    dims: dict = {}

    def axes(t, name, index):
        wanted = _input_axes(spec, name, index)[: t.dim()]
        return {axis: dims.setdefault(d, torch.export.Dim(d)) for axis, d in enumerate(wanted) if d is not None}

    params = list(keywords or inspect.signature(module.forward).parameters)
    names = params[: len(keywords or example_inputs)]
    unknown = [k for k in spec if k != "*" and k not in names and not (k.isdigit() and int(k) < len(names))]
    if unknown:
        raise PorterError(
            f"dynamic axes name {unknown[0]!r}, which is not an input of {type(module).__name__} "
            f"(its inputs: {', '.join(names)})"
        )
    if keywords:
        return {name: axes(t, name, i) for i, (name, t) in enumerate(keywords.items())}
    return tuple(axes(t, names[i] if i < len(names) else str(i), i) for i, t in enumerate(example_inputs))


def split_inputs(example_inputs) -> tuple[tuple, dict]:
    """(positional, keyword) example inputs: a tensor, a tuple/list of them, or a dict by parameter name
    (input_ids, attention_mask, ...), which the source's forward takes as keywords."""
    if isinstance(example_inputs, dict):
        return (), dict(example_inputs)
    if isinstance(example_inputs, list | tuple):
        return tuple(example_inputs), {}
    return (example_inputs,), {}


def export_module(
    module,
    example_inputs,
    *,
    dynamic: list[str] | dict | None = None,
    opset: int = DEFAULT_OPSET,
    training: bool = False,
):
    """(ModelProto, info) for a torch module; info says which exporter produced it and why others failed.

    training: export in train mode, so Dropout survives (as ONNX Dropout in training mode) and the port
    keeps it, switched by the framework's train()/eval() like the source's.
    """
    import torch

    example_inputs, keywords = split_inputs(example_inputs)
    if keywords:  # the forward's own parameter order: graph inputs (and the port's forward) follow it
        import inspect

        order = [name for name in inspect.signature(module.forward).parameters if name in keywords]
        keywords = {name: keywords[name] for name in order + [k for k in keywords if k not in order]}
    module = module.train() if training else module.eval()
    spec = parse_dynamic(dynamic)
    shapes = _dynamic_shapes(module, example_inputs, spec, keywords) if spec else None  # names checked here
    info: dict = {"exporter": None, "failures": {}, "class_name": type(module).__name__, "training": training}
    # the example's sizes: validation starts its input shapes from them (a conv stem needs long audio)
    info["example_shapes"] = [list(t.shape) for t in (*example_inputs, *keywords.values()) if hasattr(t, "shape")]
    if keywords:
        info["keyword_inputs"] = list(keywords)
    info.update(tensor_roles(module))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            table = translation_table()  # porter's own translations for ops the exporter lacks
            # every port keeps torch's tensors and the computations on its parameters (weight_norm's
            # g * v / |v|, MoE experts' transposes): folded, their keys would be lost
            state = [*info["parameters"], *info["buffers"]]
            with source_state_kept(state, computed=info["parameters"]):
                program = torch.onnx.export(
                    module,
                    example_inputs,
                    kwargs=keywords or None,
                    dynamo=True,
                    opset_version=opset,
                    dynamic_shapes=shapes,
                    custom_translation_table=table or None,
                    verbose=False,
                )
            proto = program.model_proto  # serialized anew at every read of the property
            if training:
                check_batch_norms(module, proto)
            add_unread_parameters(module, proto)
            info["exporter"] = "dynamo"
            info["porter_translations"] = sorted(str(k) for k in table)
            return proto, info
        except Exception as exc:  # the exporter raises many types; the reason is what matters
            info["failures"]["dynamo"] = _first_line(exc)
            root = exc
            while root.__cause__ is not None:  # torch.export's own reason, under the exporter's "step 1/3"
                root = root.__cause__
        if training:
            # the TorchScript exporter always traces in eval mode: Dropout would vanish from a port meant
            # to train (wav2vec2's train-mode forward, with LayerDrop's branch on torch.rand, ends here)
            raise PorterError(
                f"torch.export could not capture the train-mode forward of {type(module).__name__} "
                f"({_first_line(root)}); the TorchScript exporter traces in eval mode, so --train needs "
                "torch.export: make the train-mode forward exportable (no Python branch on tensor values)"
            )
        try:
            buffer = io.BytesIO()
            names = list(keywords) or [f"input_{i}" for i in range(len(example_inputs))]
            axes = {
                n: {axis: d for axis, d in enumerate(_input_axes(spec, n, i)) if d is not None}
                for i, n in enumerate(names)
            }
            torch.onnx.export(
                module,
                example_inputs,
                buffer,
                kwargs=keywords or None,
                dynamo=False,
                opset_version=min(opset, 17),
                input_names=names,
                dynamic_axes=axes if spec else None,
            )
            info["exporter"] = "torchscript"
            if training:
                check_batch_norms(module, onnx.load_from_string(buffer.getvalue()))
            return onnx.load_from_string(buffer.getvalue()), info
        except Exception as exc:
            info["failures"]["torchscript"] = _first_line(exc)
    reasons = "; ".join(f"{k}: {v}" for k, v in info["failures"].items())
    raise PorterError(f"torch.onnx could not export {type(module).__name__}: {reasons}{_translation_pointer(info)}")


def _translation_pointer(info: dict) -> str:
    """An op the exporter has no translation for (a custom op, say) can get one from a plugin: say so."""
    found = re.search(r"OpOverload\(op='([\w.]+)', overload='(\w+)'\)", info["failures"].get("dynamo", ""))
    if found is None:
        return ""
    namespace, _, name = found.group(1).partition(".")
    return (
        f"; a torch.onnx translation for {namespace}::{name}.{found.group(2)} can come from a plugin "
        "(`--plugin FILE.py` with plugins.torch_translation, see docs/plugins.md)"
    )


def add_unread_parameters(module, model: onnx.ModelProto) -> None:
    """Give the exported model, as initializers no node reads, the parameters its forward never reads (wav2vec2's
    masked_spec_embed, used only when training masks time steps): the exporter drops them, and the port, which
    declares every source tensor on the module its key names, then has torch's whole state_dict, so a torch
    checkpoint loads without unexpected keys. Parameters only: a buffer the forward does not read
    (BatchNorm's num_batches_tracked) has no counterpart in the framework's own layers."""
    present = {init.name for init in model.graph.initializer}
    for name, parameter in module.named_parameters():
        if name in present:
            continue
        try:
            array = parameter.detach().cpu().numpy()
        except TypeError:  # a dtype numpy lacks (bfloat16): left out, as the exporter left it
            continue
        model.graph.initializer.append(onnx.numpy_helper.from_array(array, name))


def tensor_roles(module) -> dict:
    """Which state_dict names are trainable parameters and which are buffers (persistent: saved in the
    state_dict), so the port declares each as the source does."""
    buffers = {}
    for prefix, sub in module.named_modules():
        for name in sub._buffers:
            full = f"{prefix}.{name}" if prefix else name
            buffers[full] = name not in sub._non_persistent_buffers_set
    return {"parameters": sorted(name for name, _ in module.named_parameters()), "buffers": buffers}


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    for line in text.splitlines():  # the dynamo exporter's own first line only says that step 3/3 failed
        if "No ONNX function found for" in line:
            return line.split(">: ", 1)[-1].strip()[:500] if "DispatchError" in line else line.strip()[:500]
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"[:500]


def load_factory(spec: str):
    """Import and call the factory named by spec; returns (module, example_inputs or None)."""
    import torch

    target, _, factory_name = spec.rpartition(":")
    # The user's code is trusted, but its folder (or, for a module spec, the working directory) is
    # appended to sys.path, never put first: a stray numpy.py or click.py there cannot shadow an
    # installed package (this process runs isolated, with no working directory on sys.path at all).
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise InvalidModel(f"{spec}: {target}: no such file")
        sys.path.append(str(path.resolve().parent))
        mod_spec = importlib.util.spec_from_file_location(f"porter_user_{path.stem}", path)
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules[mod_spec.name] = module
        mod_spec.loader.exec_module(module)
    else:
        sys.path.append(os.getcwd())
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise InvalidModel(
                f"{spec}: cannot import {target!r}: {exc} (a module spec is imported from the installed packages "
                "or the working directory; for a file, write path/to/file.py:factory)"
            ) from None
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise InvalidModel(
            f"{spec}: {factory_name!r} is not a callable in {target}; {_callables_hint(module, factory_name)}"
        )
    try:
        made = factory()
    except Exception as exc:
        raise InvalidModel(f"{spec}: the factory raised {_first_line(exc)}") from None
    if isinstance(made, torch.nn.Module):
        return made, None
    if isinstance(made, tuple) and len(made) == 2 and isinstance(made[0], torch.nn.Module):
        return made
    raise InvalidModel(
        f"{spec}: the factory must return an nn.Module or (module, example_inputs), got {type(made).__name__}"
    )


def _callables_hint(module, wanted: str) -> str:
    """The functions and classes the module defines itself (not those it imported), the closest first."""
    import difflib

    own = sorted(
        name
        for name, value in vars(module).items()
        if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    )
    if not own:
        return "it defines no public function or class"
    close = difflib.get_close_matches(wanted, own, n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return f"{guess}it defines: {', '.join(own[:20])}" + (" ..." if len(own) > 20 else "")


def export_spec(
    spec: str, *, dynamic: list[str] | dict | None = None, opset: int = DEFAULT_OPSET, training: bool = False
):
    """Run a factory spec through the exporter in a subprocess; returns (ModelProto, info)."""
    with tempfile.TemporaryDirectory(prefix="porter-torch-") as tmp:
        out = Path(tmp) / "model.onnx"
        axes = parse_dynamic(dynamic)  # bad names fail here, before a subprocess starts
        args = [spec, out, "--opset", opset] + (["--dynamic", json.dumps(axes)] if axes else [])
        args += ["--train"] if training else []
        try:
            launcher.run(
                launcher.python_command("porter.frontends.torch_source", *args), "the export", timeout=EXPORT_TIMEOUT
            )
        except launcher.HelperFailed as exc:
            raise InvalidModel(exc.reason if exc.refused else f"{spec}: {exc}") from None
        info = json.loads((Path(tmp) / "model.json").read_text())
        return onnx.load(out), info


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m porter.frontends.torch_source")
    parser.add_argument("spec")
    parser.add_argument("out")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    parser.add_argument("--dynamic", default="")
    parser.add_argument("--train", action="store_true")
    args = parser.parse_args(argv)
    try:
        module, example_inputs = load_factory(args.spec)
        if example_inputs is None:
            raise InvalidModel(f"{args.spec}: the factory returned no example inputs; return (module, inputs)")
        dynamic = json.loads(args.dynamic) if args.dynamic else None
        model, info = export_module(module, example_inputs, dynamic=dynamic, opset=args.opset, training=args.train)
    except PorterError as exc:
        print(f"{launcher.ERROR_PREFIX}{exc}", file=sys.stderr)
        return 2
    onnx.save(model, args.out)
    Path(args.out).with_suffix(".json").write_text(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
