"""The operator registry: (domain, op_type, since_version) -> emitter, one registry per target.

A node is resolved the way a runtime resolves an opset: the model's opset import for the node's
domain picks the schema that was in force (its since_version), and that exact key is looked up.
An op registered without explicit versions covers every schema version onnx defines for it; the
emitter then reads `node.since` where versions differ.

Registering checks at once what is cheap to check (onnx knows the op, each explicit version is one of its
schema versions, nothing is registered twice) but lists an op's schema versions (walking onnx.defs, ~50 us
an op, ~10 ms for a target's ~170 ops at import) only when that op is first looked up, or when the whole
table is listed (`porter ops`, the docs): a conversion pays for the ops its model has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import onnx.defs

DEFAULT_DOMAIN = ""


def schema_versions(op_type: str, domain: str = DEFAULT_DOMAIN) -> list[int]:
    """All since_versions onnx defines for an op, oldest first (empty if onnx does not know it)."""
    versions = []
    newest = onnx.defs.onnx_opset_version()
    probe = newest
    while probe >= 1:
        try:
            schema = onnx.defs.get_schema(op_type, probe, domain)
        except onnx.defs.SchemaError:
            break
        versions.append(schema.since_version)
        probe = schema.since_version - 1
    return sorted(set(versions))


def is_schema_version(op_type: str, since: int, domain: str = DEFAULT_DOMAIN) -> bool:
    """`since in schema_versions(op_type, domain)`, with one schema lookup."""
    return resolve_since(op_type, since, domain) == since


def resolve_since(op_type: str, opset: int, domain: str = DEFAULT_DOMAIN) -> int | None:
    try:
        return onnx.defs.get_schema(op_type, opset, domain).since_version
    except onnx.defs.SchemaError:
        return None


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


@dataclass(frozen=True)
class Mapping:
    """One registered emitter for one (domain, op_type, since_version)."""

    op_type: str
    since: int
    emit: Callable
    summary: str
    dtypes: frozenset[str] | None = None  # allowed numpy dtype names of input 0, None = any supported
    module: str = ""
    notes: str = ""
    deviation: str = ""  # a known numeric difference, warned about at convert time (docs/known-deviations.md)
    domain: str = DEFAULT_DOMAIN  # a custom domain's ops come from plugins (porter/plugins.py)


@dataclass
class Registry:
    target: str
    _table: dict[tuple[str, str, int], Mapping] = field(default_factory=dict)
    # device-specific alternatives: (domain, op_type, since, device) -> Mapping, e.g. mindspore.mint kernels
    # that exist on Ascend only; the default table (CPU and everything else) is _table
    _by_device: dict[tuple[str, str, int, str], Mapping] = field(default_factory=dict)
    # registrations without explicit versions, not yet expanded to one row per schema version:
    # (domain, op_type) -> [(device or None, the row with since=0)]
    _every_version: dict[tuple[str, str], list[tuple[str | None, Mapping]]] = field(default_factory=dict)
    # (domain, op_type, device or None) of every registration, explicit versions or not, for the duplicate check
    _registered: dict[tuple[str, str, str | None], set[int] | None] = field(default_factory=dict)

    def register(
        self,
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
        """Decorator: register `fn(node) -> expr | [expr, ...] | None` for the given schema versions.

        With `device`, the mapping is used only when converting for that device (`--device`), in place of
        the default one; every other device keeps the default mapping."""

        def deco(fn: Callable) -> Callable:
            if not onnx.defs.has(op_type, domain):
                raise ValueError(f"onnx defines no operator {domain or 'ai.onnx'}::{op_type}")
            chosen = None if versions is None else sorted(set(versions))
            for since in chosen or ():
                if not is_schema_version(op_type, since, domain):
                    raise ValueError(
                        f"{op_type}: {since} is not a schema version (known: {schema_versions(op_type, domain)})"
                    )
            self._check_once(domain, op_type, device, chosen)
            row = Mapping(
                op_type=op_type,
                since=0,
                emit=fn,
                summary=summary or _first_line(fn.__doc__),
                dtypes=frozenset(dtypes) if dtypes is not None else None,
                module=fn.__module__.rsplit(".", 1)[-1],
                notes=notes,
                deviation=deviation,
                domain=domain,
            )
            if chosen is None:
                self._every_version.setdefault((domain, op_type), []).append((device, row))
            for since in chosen or ():
                self._put(device, replace(row, since=since))
            return fn

        return deco

    def _check_once(self, domain: str, op_type: str, device: str | None, chosen: list[int] | None) -> None:
        """Raise if these versions of the op (None: all of them) overlap an earlier registration."""
        key = (domain, op_type, device)
        if key not in self._registered:
            self._registered[key] = None if chosen is None else set(chosen)
            return
        earlier = self._registered[key]
        if earlier is None and chosen is None:
            first = schema_versions(op_type, domain)[0]
        elif earlier is None or chosen is None:
            first = min(chosen or earlier)
        else:
            first = min(set(chosen) & earlier, default=None)
        if first is not None:
            raise ValueError(f"{self.target}: {op_type} v{first} registered twice")
        earlier.update(chosen)

    def _put(self, device: str | None, row: Mapping) -> None:
        if device is None:
            self._table[(row.domain, row.op_type, row.since)] = row
        else:
            self._by_device[(row.domain, row.op_type, row.since, device)] = row

    def _expand(self, domain: str, op_type: str) -> None:
        """Give an op registered without explicit versions its row for each schema version onnx defines."""
        pending = self._every_version.pop((domain, op_type), ())
        for device, row in pending:
            for since in schema_versions(op_type, domain):
                self._put(device, replace(row, since=since))

    def _expand_all(self) -> None:
        for domain, op_type in list(self._every_version):
            self._expand(domain, op_type)

    def lookup(
        self, op_type: str, opset: int, domain: str = DEFAULT_DOMAIN, device: str = "cpu"
    ) -> tuple[Mapping | None, int | None]:
        """Return (mapping or None, the schema since_version in force or None if onnx has no such op)."""
        since = resolve_since(op_type, opset, domain)
        if since is None:
            return None, None
        if (domain, op_type) in self._every_version:
            self._expand(domain, op_type)
        specific = self._by_device.get((domain, op_type, since, device))
        return (specific or self._table.get((domain, op_type, since))), since

    def devices(self) -> dict[str, list[str]]:
        """op_type -> the devices that have their own mapping for it."""
        self._expand_all()
        found: dict[str, set] = {}
        for _, op_type, _, device in self._by_device:
            found.setdefault(op_type, set()).add(device)
        return {k: sorted(v) for k, v in sorted(found.items())}

    def items(self) -> list[Mapping]:
        self._expand_all()
        return [self._table[k] for k in sorted(self._table)]

    def ops(self, domain: str = DEFAULT_DOMAIN) -> dict[str, list[Mapping]]:
        """op_type -> its mappings, oldest version first, for one domain (ONNX's own by default)."""
        grouped: dict[str, list[Mapping]] = {}
        for mapping in self.items():
            if mapping.domain == domain:
                grouped.setdefault(mapping.op_type, []).append(mapping)
        return grouped

    def custom_domains(self) -> list[str]:
        """The domains other than ONNX's own that have mappings (registered by plugins)."""
        self._expand_all()
        return sorted({domain for domain, _, _ in self._table} - {DEFAULT_DOMAIN})
