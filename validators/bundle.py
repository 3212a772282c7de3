"""Offline bundles: everything a validation needs, for a machine with the chip and no porter on it.

A bundle (.tar.gz, one folder `porter-bundle/`) holds the generated model(s), the inputs, the source
outputs and the fp64 golden per case, bundle.json (cases, device, tolerance profile), and a runner
`run_bundle.py` that needs only the target framework and numpy. It imports the very modules porter
judges with (metrics, profiles, verdict: numpy only) and the target's own runtime adapter, copied in,
so a verdict on the device is the verdict porter would give; `porter report` recomputes it from the
recorded outputs to prove it.

results.json comes back from another machine, so `porter report` trusts none of it: the cases, the
profile and the sha256 of every packed file are recorded in bundle.json when porter makes the bundle,
and the report is judged against that description (read from the .tar.gz porter wrote, with --bundle,
or from the extracted bundle beside results.json). A results file that disagrees with it (a case
dropped, the profile loosened, a packed file replaced) is an error naming what differs. Paths it names
are resolved inside its own folder only, only regular files are opened (a FIFO would block forever),
and every archive's declared sizes are checked before anything is inflated.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from porter.checkpoints import conversion_files
from porter.codegen.shards import index_name
from porter.errors import PorterError
from porter.targets import get_target
from porter.validators.profiles import DEVICE_CLASSES, load_profile, profile_from_dict
from porter.validators.verdict import judge

ROOT = "porter-bundle"
_HERE = Path(__file__).parent
_NUMERICS = ("metrics.py", "profiles.py", "verdict.py", "profiles.json")
_JSON_LIMIT = 256 * 2**20  # bundle.json / results.json: far above any real one
_FILE_LIMIT = 8 * 2**30  # one packed or produced .npz
_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
_SLACK = 2**20  # outputs may inflate to 4x the expected outputs (a wider dtype), plus this


def _save(path: Path, arrays: list) -> None:
    np.savez(path, *[np.asarray(a) for a in arrays])


def _load(path: Path) -> list[np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def copy_model(out_dir: Path, dest: Path) -> None:
    """model.py, its weights and report.json (not exports or the source graph: the runner needs none)."""
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    dest.mkdir(parents=True)
    index = out_dir / index_name(get_target(report["target"]).weights_file)  # sharded weights: the index too
    weights = [f.name for f in conversion_files(out_dir, report["target"])] + ([index.name] if index.is_file() else [])
    for name in ("model.py", "report.json", *weights):
        shutil.copy2(out_dir / name, dest / name)


def pack(stage: Path, target: str, meta: dict, bundle_path: Path) -> None:
    """Add the runner and the numerics modules to `stage`, then tar it atomically to bundle_path."""
    if bundle_path.exists():
        raise PorterError(f"{bundle_path} exists; remove it or choose another path")
    numerics = stage / "numerics"
    numerics.mkdir()
    (numerics / "__init__.py").write_text('"""porter numerics, shipped with the bundle."""\n', encoding="utf-8")
    for name in _NUMERICS:
        shutil.copy2(_HERE / name, numerics / name)
    shutil.copy2(get_target(target).load_runtime().__file__, numerics / "runtime.py")
    shutil.copy2(_HERE / "bundle_runner.py", stage / "run_bundle.py")
    # what `porter report` will judge against: the sha256 of every file packed (bundle.json aside)
    meta = {
        **meta,
        "files": {
            p.relative_to(stage).as_posix(): _digest(p.read_bytes()) for p in sorted(stage.rglob("*")) if p.is_file()
        },
    }
    (stage / "bundle.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    from porter.output import atomic_file

    with atomic_file(bundle_path) as tmp, tarfile.open(tmp, "w:gz") as tar:
        tar.add(stage, arcname=ROOT)


def write_validate_bundle(out_dir, against, bundle_path, *, inputs_files=(), device="cpu", profile=None, seed=0) -> str:
    """Bundle OUT's model with its input sets, source outputs and golden; returns a one-line summary."""
    from porter.validators.golden import golden_outputs
    from porter.validators.validate import input_sets, read_report, run_source, source_model

    out_dir, bundle_path = Path(out_dir), Path(bundle_path)
    report = read_report(out_dir)
    model, source_label, torch_spec = source_model(out_dir, against)
    names = [o.name for o in model.graph.output]
    chosen = load_profile(profile, device)
    with tempfile.TemporaryDirectory(prefix="porter-bundle-") as tmp_name:
        tmp, stage = Path(tmp_name), Path(tmp_name) / ROOT
        stage.mkdir()
        copy_model(out_dir, stage / "model")
        import onnx

        onnx.save(model, tmp / "source.onnx")
        cases = []
        example_shapes = (report.get("export") or {}).get("example_shapes")
        for n, case in enumerate(input_sets(model, inputs_files, seed, example_shapes)):
            _save(stage / f"inputs_{n}.npz", case["arrays"])
            np.savez(tmp / "inputs.npz", **{f"input_{i}": a for i, a in enumerate(case["arrays"])})
            run_source(tmp, tmp / "inputs.npz", tmp / "src.npz", torch_spec)
            with np.load(tmp / "src.npz", allow_pickle=False) as src:
                _save(stage / f"expected_{n}.npz", [src[f"output_{i}"] for i in range(len(src.files))])
            golden, how = golden_outputs(model, case["arrays"])
            entry = {
                "id": f"set{n}",
                "label": case["label"],
                "model": "model",
                "inputs": f"inputs_{n}.npz",
                "expected": f"expected_{n}.npz",
                "output_names": names,
                "input_info": [{"shape": list(a.shape), "dtype": a.dtype.name} for a in case["arrays"]],
                "golden_how": how,
            }
            if golden is not None:
                _save(stage / f"golden_{n}.npz", [golden[name] for name in names])
                entry["golden"] = f"golden_{n}.npz"
            cases.append(entry)
        meta = {
            "kind": "porter-validate",
            "target": report["target"],
            "device": device,
            "profile": chosen.to_dict(),
            "source": source_label,
            "out_dir": str(out_dir),
            "cases": cases,
        }
        pack(stage, report["target"], meta, bundle_path)
    return f"{len(cases)} input sets, {report['target']} on {device}, profile {chosen.name}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_regular(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Opened without blocking and checked with
    fstat on the open descriptor, so a FIFO or a device is refused instead of hanging the report."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise PorterError(f"{path}: cannot open {what}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PorterError(f"{path}: {what} is not a regular file")
        if info.st_size > limit:
            raise PorterError(f"{path}: {what} is {info.st_size} bytes, more than the {limit} a bundle file may have")
        return f.read(limit + 1)[:limit]


def _inside(folder: Path, relative, what: str) -> Path:
    """folder/relative, refused unless the name and where it leads both stay inside folder."""
    if not isinstance(relative, str) or not relative or "\x00" in relative or os.path.isabs(relative):
        raise PorterError(f"{what}: {relative!r} is not a path inside the bundle")
    lexical = Path(os.path.normpath(folder / relative))
    if not lexical.is_relative_to(folder) or not lexical.resolve().is_relative_to(folder.resolve()):
        raise PorterError(f"{what}: {relative!r} leads outside {folder}")
    return lexical


def _npz(data: bytes, label: str, limit: int) -> tuple[list[np.ndarray], int]:
    """(arrays arr_0, arr_1, ... of an .npz held in memory, their total inflated size), refused before
    inflating when the archive or an array header declares more than `limit` bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if total > limit:
                raise PorterError(f"{label}: inflates to {total} bytes, more than the {limit} expected")
            for info in infos:  # the .npy header says how much numpy will allocate: it must fit the member
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version not in _NPY_HEADERS:
                        raise PorterError(f"{label}: {info.filename}: .npy format version {version} is not supported")
                    shape, _, dtype = _NPY_HEADERS[version](member)
                    if int(np.prod(shape, dtype=object)) * dtype.itemsize > info.file_size:
                        raise PorterError(f"{label}: {info.filename} declares more data than it holds")
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return [arrays[f"arr_{i}"] for i in range(len(arrays.files))], total
    except PorterError:
        raise
    except Exception as exc:  # zipfile, numpy and zlib raise many types for a corrupt archive
        raise PorterError(f"{label}: not a readable .npz ({type(exc).__name__}: {exc})") from None


class BundleFiles:
    """The files porter packed (read from the .tar.gz it wrote, or from the extracted folder), each
    checked against the sha256 bundle.json recorded, and the outputs the device wrote beside results.json."""

    def __init__(self, description: dict, packed, results_dir: Path, label: str):
        self.description, self.packed, self.results_dir, self.label = description, Path(packed), results_dir, label
        self._tar: tarfile.TarFile | None = None

    def packed_bytes(self, relative: str) -> bytes:
        digests = self.description.get("files") or {}
        if relative not in digests:
            raise PorterError(f"{self.label}: {relative!r} is not a file porter packed in this bundle")
        if self.packed.is_dir():
            data = _read_regular(_inside(self.packed, relative, self.label), _FILE_LIMIT, "a bundle file")
        else:
            data = self._member(f"{ROOT}/{relative}")
        if _digest(data) != digests[relative]:
            raise PorterError(f"{self.label}: {relative} is not the file porter packed (its sha256 differs)")
        return data

    def _member(self, name: str) -> bytes:
        # one open archive for the whole report: reopening a .tar.gz per file would inflate it again each time
        if self._tar is None:
            self._tar = _open_tar(self.packed)
        return _tar_member(self._tar, self.packed, name, _FILE_LIMIT)

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
            self._tar = None

    def packed_arrays(self, relative: str) -> tuple[list[np.ndarray], int]:
        return _npz(self.packed_bytes(relative), f"{self.label}: {relative}", _FILE_LIMIT)

    def output_arrays(self, outcome: dict, limit: int) -> list[np.ndarray]:
        relative = outcome.get("outputs_file")
        path = _inside(self.results_dir, relative, f"{self.label}: case {outcome.get('id')!r}")
        data = _read_regular(path, _FILE_LIMIT, "an outputs file")
        if outcome.get("outputs_sha256") not in (None, _digest(data)):
            raise PorterError(f"{path}: not the outputs file results.json recorded (its sha256 differs)")
        return _npz(data, str(path), limit)[0]


def _open_tar(tar_path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(tar_path)
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise PorterError(f"{tar_path}: not a readable bundle ({exc})") from None


def _tar_member(tar: tarfile.TarFile, tar_path: Path, name: str, limit: int) -> bytes:
    try:
        member = tar.getmember(name)
        if not member.isfile():
            raise PorterError(f"{tar_path}: {name} is not a regular file")
        if member.size > limit:
            raise PorterError(f"{tar_path}: {name} is {member.size} bytes, more than {limit}")
        return tar.extractfile(member).read()
    except KeyError:
        raise PorterError(f"{tar_path}: has no {name}; is it a bundle porter made?") from None
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise PorterError(f"{tar_path}: not a readable bundle ({exc})") from None


def _json(data: bytes, label: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PorterError(f"{label}: not JSON") from None
    if not isinstance(value, dict):
        raise PorterError(f"{label}: not a JSON object")
    return value


def _description(results_path: Path, bundle_path) -> tuple[dict, object, str]:
    """(bundle.json as porter packed it, where the packed files are, its label)."""
    if bundle_path is not None:
        bundle_path = Path(bundle_path)
        if bundle_path.is_dir():
            folder = bundle_path / ROOT if (bundle_path / ROOT / "bundle.json").exists() else bundle_path
            data = _read_regular(folder / "bundle.json", _JSON_LIMIT, "bundle.json")
            return _json(data, str(folder / "bundle.json")), folder, str(folder)
        with _open_tar(bundle_path) as tar:
            data = _tar_member(tar, bundle_path, f"{ROOT}/bundle.json", _JSON_LIMIT)
        return _json(data, f"{bundle_path}: bundle.json"), bundle_path, str(bundle_path)
    beside = results_path.parent / "bundle.json"
    if not beside.exists():
        raise PorterError(
            f"{results_path}: no bundle.json beside it; pass --bundle with the .tar.gz porter made "
            "(the verdicts are judged against what porter packed, not against the results file)"
        )
    data = _read_regular(beside, _JSON_LIMIT, "bundle.json")
    return _json(data, str(beside)), results_path.parent, str(results_path.parent)


def _differences(packed: dict, claimed: dict) -> list[str]:
    """What a results file's copy of the bundle description changed, in words."""
    found = []
    for key in sorted(set(packed) | set(claimed)):
        if packed.get(key) == claimed.get(key):
            continue
        if key == "cases" and isinstance(claimed.get(key), list):
            ids = [c.get("id") for c in packed["cases"]]
            claimed_ids = [c.get("id") if isinstance(c, dict) else c for c in claimed["cases"]]
            if ids != claimed_ids:
                found.append(f"cases {claimed_ids} instead of {ids}")
                continue
        found.append(f"{key!r}")
    return found


def _check_profile(profile: dict, label: str) -> None:
    """A profile named after a device class must be porter's own: its rows cannot be loosened. (The name
    is only compared, never opened: a profile file's name could be any path, a FIFO included.)"""
    name = profile.get("name") if isinstance(profile, dict) else None
    if name in DEVICE_CLASSES and load_profile(name).to_dict() != profile:
        raise PorterError(f"{label}: profile {name!r} differs from porter's own profile of that name")


def read_results(results_path, bundle_path=None) -> tuple[dict, dict, BundleFiles]:
    """(results record, bundle description as porter packed it, its files) of a run_bundle.py results.json.

    Every check that the results file matches the bundle happens here, before any verdict is judged."""
    results_path = Path(results_path)
    record = _json(_read_regular(results_path, _JSON_LIMIT, "the results file"), str(results_path))
    description, packed, label = _description(results_path, bundle_path)
    try:
        profile_from_dict(description["profile"])
        if record.get("kind") != "porter-bundle-results" or not isinstance(record.get("cases"), list):
            raise KeyError("kind")
        if not isinstance(description.get("files"), dict):
            raise PorterError(f"{label}: bundle.json has no file digests (a bundle from an older porter: remake it)")
    except (KeyError, TypeError, ValueError) as exc:
        raise PorterError(f"{results_path}: not a porter bundle results file ({exc})") from None
    _check_profile(description["profile"], label)
    differs = _differences(description, record.get("bundle") if isinstance(record.get("bundle"), dict) else {})
    if differs:
        raise PorterError(f"{results_path}: its bundle description differs from the bundle's: {', '.join(differs)}")
    expected_ids = [c["id"] for c in description["cases"]]
    got_ids = [c.get("id") if isinstance(c, dict) else None for c in record["cases"]]
    if got_ids != expected_ids:
        missing = [i for i in expected_ids if i not in got_ids]
        extra = [i for i in got_ids if i not in expected_ids]
        detail = (f"missing {missing}" if missing else "") + (f" unexpected {extra}" if extra else "")
        raise PorterError(
            f"{results_path}: has results for cases {got_ids}, the bundle has {expected_ids} ({detail.strip() or 'order'})"
        )
    return record, description, BundleFiles(description, packed, results_path.parent, str(results_path))


def case_arrays(files: BundleFiles, case: dict, outcome: dict) -> tuple[list, list, list | None]:
    """(outputs the device produced, source outputs, golden outputs or None) for one case."""
    expected, size = files.packed_arrays(case["expected"])
    golden = files.packed_arrays(case["golden"])[0] if case.get("golden") else None
    return files.output_arrays(outcome, 4 * size + _SLACK), expected, golden


def check_recorded(case: dict, outcome: dict, recomputed: list[bool]) -> None:
    """The device's verdicts must be the ones porter recomputes: else the file was edited or is stale."""
    recorded = outcome.get("verdicts")
    if (
        not isinstance(recorded, list)
        or [v.get("passed") if isinstance(v, dict) else v for v in recorded] != recomputed
    ):
        raise PorterError(f"results: case {case['id']}: recorded verdicts differ from the recomputed ones")


def judge_results(results_path, bundle_path=None) -> dict:
    """Recompute every verdict of a bundle's results.json from the outputs it recorded, against the
    bundle porter packed (bundle_path: its .tar.gz or folder; default: the bundle.json beside results)."""
    record, bundle, files = read_results(results_path, bundle_path)
    try:
        if bundle["kind"] == "porter-kernels":
            from porter.validators.kernels import summarize_bundle

            return summarize_bundle(bundle, record, files)
        return _judge_validation(bundle, record, files)
    finally:
        files.close()


def _judge_validation(bundle: dict, record: dict, base: BundleFiles) -> dict:
    profile = profile_from_dict(bundle["profile"])
    judged = []
    for case, outcome in zip(bundle["cases"], record["cases"]):
        if "crashed" in outcome:
            judged.append({"case": case, "crashed": str(outcome["crashed"]), "outputs": []})
            continue
        actual, expected, golden = case_arrays(base, case, outcome)
        outputs = []
        for i, name in enumerate(case["output_names"]):
            verdict = judge(actual[i], expected[i], golden[i] if golden else None, profile) if i < len(actual) else {
                "passed": False, "reason": "the generated model returned no such output"}  # fmt: skip
            outputs.append({"name": name, **verdict})
        check_recorded(case, outcome, [o["passed"] for o in outputs])
        judged.append({"case": case, "outputs": outputs})
    return _validation_result(bundle, record, judged)


def _validation_result(bundle: dict, record: dict, judged: list[dict]) -> dict:
    sets = []
    for j in judged:
        case = j["case"]
        entry = {"label": case["label"], "inputs": case.get("input_info", []), "outputs": j["outputs"]}
        if "crashed" in j:
            entry["crashed"] = j["crashed"]
        entry["passed"] = "crashed" not in j and all(o["passed"] for o in j["outputs"])
        sets.append(entry)
    return {
        "kind": "porter-validate",
        "target": bundle["target"],
        "device": str(record.get("device", bundle["device"])),
        "profile": bundle["profile"],
        "out_dir": bundle["out_dir"],
        "source": bundle["source"],
        "sets": sets,
        "layerwise": None,
        "golden": next((c.get("golden_how") for c in bundle["cases"]), None),
        "passed": all(s["passed"] for s in sets),
        "from_bundle": True,
    }
