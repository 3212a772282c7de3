"""Result cache: an item whose inputs have not changed is neither re-converted nor re-validated.

The key is a hash of everything the verdict depends on: the content of the source, the reference, the
input files and any `watch` files; porter's version; the versions of the frameworks involved (read from
package metadata, nothing imported); the tolerance profile's rows; and the item's settings. A source
whose content cannot be located (a module spec not found on disk) is never cached.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path

from porter.check.config import ModelSpec, WorkItem

CACHE_FORMAT = 1
# the packages every validation uses besides the target framework (onnxruntime is the ONNX reference)
COMMON_PACKAGES = ("onnx", "onnx-ir", "onnxruntime", "numpy")


def item_key(item: WorkItem, root: Path) -> str | None:
    """The item's cache key, or None when its source's content cannot be hashed."""
    from porter import __version__
    from porter.validators.profiles import load_profile

    m = item.model
    files = {}
    for label, spec in (("source", m.source), ("against", m.against)):
        if spec is None:
            continue
        digest = content_hash(spec, root)
        if digest is None:
            return None
        files[label] = digest
    for pattern in (*m.inputs, *m.watch):
        for path in sorted(glob.glob(str(root / pattern), recursive=True)):
            files[os.path.relpath(path, root)] = _file_hash(Path(path))
    parts = {
        "format": CACHE_FORMAT,
        "files": files,
        "porter": __version__,
        "frameworks": framework_versions(item.target, uses_torch=_uses_torch(m)),
        "profile": load_profile(m.profile, item.device).to_dict(),
        "item": item.payload(None),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def content_hash(spec: str, root: Path) -> str | None:
    """sha256 of a model file, or of the Python file a factory spec names; None if not found."""
    path = root / spec
    if path.is_file():
        return _file_hash(path)
    module = spec.rpartition(":")[0]
    if module.endswith(".py"):
        path = root / module
        return _file_hash(path) if path.is_file() else None
    relative = Path(*module.split("."))
    for base in (root, *map(Path, sys.path)):
        for candidate in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
            if candidate.is_file():
                return _file_hash(candidate)
    return None


def framework_versions(target: str, uses_torch: bool) -> dict[str, str]:
    """Installed versions of the target framework, the ONNX stack and (for factories) torch."""
    from porter.targets import get_target

    framework = get_target(target).framework
    names = [*metadata.packages_distributions().get(framework, [framework]), *COMMON_PACKAGES]
    if uses_torch:
        names.append("torch")
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class ResultCache:
    """One JSON file per key under DIR/results/, written atomically."""

    def __init__(self, directory: Path):
        self.directory = Path(directory) / "results"

    def get(self, key: str | None) -> dict | None:
        if key is None:
            return None
        try:
            return json.loads((self.directory / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent or unreadable: run the item again

    def put(self, key: str | None, result: dict) -> None:
        if key is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{key}.json"
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _uses_torch(model: ModelSpec) -> bool:
    from porter.frontends.torch_source import is_torch_spec

    return any(is_torch_spec(s) for s in (model.source, model.against) if s)
