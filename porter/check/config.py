"""The `porter check` configuration: [tool.porter] in pyproject.toml, or porter.toml, checked against schema.json.

A configuration becomes a list of work items, one per model x target x device. Every error names the
file and the key (`pyproject.toml: tool.porter.models.mlp.targets[0]: ...`) and exits 3.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from porter.errors import EXIT_USAGE, PorterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SCHEMA_PATH = Path(__file__).with_name("schema.json")
CONFIG_NAMES = ("porter.toml", "pyproject.toml")
DEFAULT_CACHE_DIR = ".porter-cache"
DEFAULT_TIMEOUT = 900.0


class ConfigError(PorterError):
    """A configuration file that cannot be used: the message names the file and the key."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class ModelSpec:
    name: str
    source: str  # a path relative to the root, or a factory spec
    against: str | None
    targets: tuple[str, ...]
    devices: tuple[str, ...]
    profile: str | None  # a profile name, or an absolute path to a JSON file
    dynamic: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    seed: int = 0
    timeout: float = DEFAULT_TIMEOUT
    watch: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkItem:
    """One model x target x device: converted and validated as a unit, locally or as a Ray task."""

    model: ModelSpec
    target: str
    device: str

    @property
    def id(self) -> str:
        return f"{self.model.name}/{self.target}/{self.device}"

    def payload(self, root: str | None) -> dict:
        """What the worker needs (plain data: it crosses process and machine boundaries).

        root is the directory relative paths resolve against; None: the worker's own working
        directory (a Ray cluster that received the project as its working_dir).
        """
        m = self.model
        return {
            "id": self.id,
            "root": root,
            "model": m.name,
            "source": m.source,
            "against": m.against,
            "target": self.target,
            "device": self.device,
            "profile": m.profile,
            "dynamic": list(m.dynamic),
            "inputs": list(m.inputs),
            "seed": m.seed,
        }


@dataclass
class CheckConfig:
    path: Path
    root: Path
    models: list[ModelSpec]
    cache_dir: Path
    baseline: Path | None
    items: list[WorkItem] = field(default_factory=list)


def find_config(start: Path) -> Path:
    """porter.toml, or a pyproject.toml with [tool.porter], in start or the nearest parent that has one."""
    for directory in [start, *start.parents]:
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file() and (name == "porter.toml" or "porter" in _read_toml(candidate).get("tool", {})):
                return candidate
    raise ConfigError(f"no porter.toml, and no pyproject.toml with [tool.porter], in {start} or its parents")


def load_config(path: Path | None = None, cwd: Path | None = None) -> CheckConfig:
    """Read, check against the schema, and expand into work items."""
    path = Path(path) if path is not None else find_config(Path(cwd or Path.cwd()).resolve())
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    data = _read_toml(path)
    prefix = ""
    if "porter" in data.get("tool", {}):
        data, prefix = data["tool"]["porter"], "tool.porter"
    elif path.name == "pyproject.toml":
        raise ConfigError(f"{path}: no [tool.porter] table")
    problem = check_schema(data, load_schema(), prefix)
    if problem:
        raise ConfigError(f"{path}: {problem}")
    root = path.resolve().parent
    where = f"{prefix}." if prefix else ""
    models = [
        model_spec(name, table, data, root, f"{path}: {where}models.{name}") for name, table in data["models"].items()
    ]
    config = CheckConfig(
        path=path,
        root=root,
        models=models,
        cache_dir=root / data.get("cache-dir", DEFAULT_CACHE_DIR),
        baseline=root / data["baseline"] if "baseline" in data else None,
    )
    config.items = [WorkItem(m, t, d) for m in models for t in m.targets for d in m.devices]
    return config


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None


def model_spec(name: str, table: dict, top: dict, root: Path, where: str) -> ModelSpec:
    """One model table (already checked against the schema) with the top-level defaults it inherits."""
    from porter.frontends.torch_source import is_torch_spec

    def inherited(key, default):
        return table.get(key, top.get(key, default))

    source = table["source"]
    is_factory = _check_source(source, root, f"{where}.source")
    if table.get("against") is not None:
        _check_source(table["against"], root, f"{where}.against")
        if is_torch_spec(table["against"]) and not is_factory:
            raise ConfigError(f"{where}.against: a PyTorch factory can be the reference only of a PyTorch source")
    if table.get("dynamic") and not is_factory:
        raise ConfigError(f"{where}.dynamic: dynamic axes apply only to PyTorch factory sources, not {source!r}")
    for i, f in enumerate(table.get("inputs", [])):
        if not (root / f).is_file():
            raise ConfigError(f"{where}.inputs[{i}]: no such file {f!r} (relative to {root})")
    devices = tuple(inherited("devices", ["cpu"]))
    profile = inherited("profile", None)
    if profile is not None and (profile.endswith(".json") or (root / profile).is_file()):
        profile = str((root / profile).resolve())
    _check_profile(profile, devices, where)
    return ModelSpec(
        name=name,
        source=source,
        against=table.get("against"),
        targets=tuple(inherited("targets", ["paddle"])),
        devices=devices,
        profile=profile,
        dynamic=tuple(table.get("dynamic", ())),
        inputs=tuple(table.get("inputs", ())),
        seed=int(table.get("seed", 0)),
        timeout=float(inherited("timeout", DEFAULT_TIMEOUT)),
        watch=tuple(table.get("watch", ())),
    )


def _check_source(source: str, root: Path, where: str) -> bool:
    """True for a PyTorch factory spec; a missing file is a config error, not a conversion failure."""
    if (root / source).is_file():
        return False
    module, _, factory = source.rpartition(":")
    if module and factory.isidentifier():
        if module.endswith(".py") and not (root / module).is_file():
            raise ConfigError(f"{where}: no such file {module!r} (relative to {root})")
        return True
    raise ConfigError(f"{where}: no such file {source!r} (relative to {root}), and not a pkg.module:factory spec")


def _check_profile(profile: str | None, devices: tuple[str, ...], where: str) -> None:
    from porter.validators.profiles import ProfileError, load_profile

    for device in devices:
        try:
            load_profile(profile, device)
        except ProfileError as exc:
            raise ConfigError(f"{where}.profile: {exc}") from None


# ---- the subset of JSON Schema that schema.json uses ------------------------------------------------

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def check_schema(value, schema: dict, where: str, root_schema: dict | None = None) -> str | None:
    """The first way `value` breaks `schema` as 'key.path: what is wrong', or None.

    Supports type, enum, properties, required, additionalProperties, items, minItems, minProperties,
    minLength, minimum and local $ref: what schema.json uses (a test keeps the two in step).
    """
    root_schema = root_schema or schema
    if "$ref" in schema:
        node = root_schema
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    label = where or "top level"
    kind = schema.get("type")
    if kind and not _TYPES[kind](value):
        return f"{label}: expected {'an' if kind[0] in 'aeiou' else 'a'} {kind}, got {_shown(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{label}: {_shown(value)} is not one of {', '.join(map(str, schema['enum']))}"
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        return f"{label}: must not be empty"
    if _TYPES["number"](value) and "minimum" in schema and value < schema["minimum"]:
        return f"{label}: {value} is below the minimum {schema['minimum']}"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return f"{label}: needs at least {schema['minItems']} item(s)"
        for i, item in enumerate(value):
            problem = check_schema(item, schema.get("items", {}), f"{where}[{i}]", root_schema)
            if problem:
                return problem
    if isinstance(value, dict):
        return _check_object(value, schema, where, root_schema)
    return None


def _check_object(value: dict, schema: dict, where: str, root_schema: dict) -> str | None:
    label = where or "top level"
    properties = schema.get("properties", {})
    missing = [k for k in schema.get("required", []) if k not in value]
    if missing:
        return f"{label}: missing required key {missing[0]!r}"
    if len(value) < schema.get("minProperties", 0):
        return f"{label}: needs at least {schema['minProperties']} entr{'y' if schema['minProperties'] == 1 else 'ies'}"
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        path = f"{where}.{key}" if where else key
        if key in properties:
            sub = properties[key]
        elif extra is False:
            return f"{label}: unknown key {key!r} (allowed: {', '.join(properties)})"
        elif isinstance(extra, dict):
            sub = extra
        else:
            continue
        problem = check_schema(item, sub, path, root_schema)
        if problem:
            return problem
    return None


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
