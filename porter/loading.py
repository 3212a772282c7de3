"""porter.load(out_dir): import a generated model.py and build the model with its weights."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from porter.errors import PorterError


def import_generated(out_dir) -> object:
    """Import OUT/model.py under a private module name and return the module."""
    path = Path(out_dir) / "model.py"
    if not path.is_file():
        raise PorterError(f"{out_dir}: no model.py (is this a porter output directory?)")
    name = f"porter_generated_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load(out_dir, weights_dir=None):
    """Build the generated model in OUT (eval mode, weights loaded)."""
    return import_generated(out_dir).load_model(weights_dir)
