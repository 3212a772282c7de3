"""Tolerance profiles as data: one per device class (cpu, gpu, ascend), one row per output dtype.

The shipped table is profiles.json beside this file; users pass their own copy with `--profile FILE`.
Only the standard library is used here: the offline bundle ships this module to machines that have
nothing but the target framework and numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED = Path(__file__).with_name("profiles.json")
DEVICE_CLASSES = ("cpu", "gpu", "ascend")
_REQUIRED = ("atol", "rtol", "outlier_fraction", "golden_ratio")
_RATIO_METRICS = ("mare", "mere", "rmse")


class ProfileError(ValueError):
    """A profile file or name that cannot be used."""


@dataclass(frozen=True)
class Bounds:
    """The tolerance for one dtype on one device class."""

    atol: float
    rtol: float
    outlier_fraction: float
    golden_ratio: dict = field(default_factory=dict)  # metric -> max(target error / source error)

    def to_dict(self) -> dict:
        return {
            "atol": self.atol,
            "rtol": self.rtol,
            "outlier_fraction": self.outlier_fraction,
            "golden_ratio": dict(self.golden_ratio),
        }


@dataclass(frozen=True)
class Profile:
    name: str
    rows: dict  # dtype name -> Bounds

    def bounds(self, dtype_name: str) -> Bounds | None:
        """The row for an output dtype; None for integer and boolean outputs, which must match exactly."""
        return self.rows.get(dtype_name)

    def to_dict(self) -> dict:
        return {"name": self.name, "rows": {k: v.to_dict() for k, v in self.rows.items()}}


def device_class(device: str) -> str:
    """cpu -> cpu; npu/ascend -> ascend; any other accelerator (gpu, cuda, custom devices) -> gpu."""
    d = device.lower().split(":")[0]
    if d == "cpu":
        return "cpu"
    return "ascend" if d in ("npu", "ascend") else "gpu"


def load_profile(spec: str | None = None, device: str = "cpu") -> Profile:
    """A profile by device-class name, by path to a JSON file (with one class, or several), or by device."""
    if spec and (spec.endswith(".json") or Path(spec).is_file()):
        table = _read(Path(spec))
        name = device_class(device) if device_class(device) in table else None
        if name is None:
            classes = [k for k in table if not k.startswith("_")]
            if len(classes) != 1:
                raise ProfileError(f"{spec}: holds {classes}; none matches device {device!r}")
            name = classes[0]
        return _profile(f"{spec}:{name}", table[name], spec)
    name = spec or device_class(device)
    table = _read(SHIPPED)
    if name not in table or name.startswith("_"):
        raise ProfileError(f"unknown profile {name!r}: choose one of {', '.join(DEVICE_CLASSES)} or a JSON file")
    return _profile(name, table[name], str(SHIPPED))


def profile_from_dict(data: dict) -> Profile:
    """Rebuild a profile written by Profile.to_dict (results files, bundles)."""
    return _profile(data["name"], data["rows"], data["name"])


def _read(path: Path) -> dict:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProfileError(f"{path}: not a readable JSON profile table ({exc})") from None
    if not isinstance(table, dict):
        raise ProfileError(f"{path}: a profile table is a JSON object of device classes")
    return table


def _profile(name: str, rows: dict, where: str) -> Profile:
    if not isinstance(rows, dict) or not rows:
        raise ProfileError(f"{where}: profile {name!r} has no dtype rows")
    parsed = {}
    for dtype, row in rows.items():
        missing = [k for k in _REQUIRED if not isinstance(row, dict) or k not in row]
        if missing:
            raise ProfileError(f"{where}: profile {name!r}, dtype {dtype!r}: missing {', '.join(missing)}")
        ratio = row["golden_ratio"]
        if not isinstance(ratio, dict) or any(k not in _RATIO_METRICS for k in ratio):
            raise ProfileError(f"{where}: {name}/{dtype}: golden_ratio takes {', '.join(_RATIO_METRICS)}")
        try:
            parsed[dtype] = Bounds(
                float(row["atol"]),
                float(row["rtol"]),
                float(row["outlier_fraction"]),
                {k: float(v) for k, v in ratio.items()},
            )
        except (TypeError, ValueError):
            raise ProfileError(f"{where}: {name}/{dtype}: bounds must be numbers") from None
    return Profile(name, parsed)
