"""Runs are records (DESIGN 13): the Run, its unique ID and label, its folder and manifest, the index.

A run folder holds config.json, metrics.json, forecast.csv, baselines.csv, history.csv, model.pt
(trained.pt too when the forecast kept the untrained network: the best trained epoch's recurrent layers, for
Look inside) and, written last, manifest.json: every file's size and SHA-256 and the run ID. Loading checks the
manifest, so a torn, mixed or tampered folder is refused, never trusted. A folder is written in a
hidden temporary sibling and then swapped in whole (an atomic exchange where the OS offers one),
under a lock, so two writers to one name never interleave and a killed writer leaves the old run
intact. Special files (FIFOs, devices), links and oversized JSON are refused before they are read.
"""
from __future__ import annotations

import contextlib
import copy
import ctypes
import hashlib
import json
import os
import pickle
import re
import secrets
import shutil
import stat
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import pandas as pd

from .cells import get
from .config import Config
from .errors import UserError
from .export import neutralise
from .files import check_run_id, dumps, file_sha256, inside, json_safe, loads  # noqa: F401  (file_sha256: re-exported)

if TYPE_CHECKING:
    from .data.series import LoadedSeries
    from .model import Forecaster
    from .prepare import Transform

DATA_FILES = ("config.json", "metrics.json", "forecast.csv", "baselines.csv", "history.csv", "model.pt")
OPTIONAL_FILES = ("trained.pt",)  # Run.inside_state, when there is one
MANIFEST = "manifest.json"
FILES = DATA_FILES + (MANIFEST,)
MAX_JSON_BYTES = 4 * 2**20  # a config or metrics file is a few KB; anything this large is not ours
MAX_CSV_BYTES = 256 * 2**20
MAX_MODEL_BYTES = 1024 * 2**20
DEFAULT_RUNS_DIR = Path(os.environ.get("LSTM_FORECAST_RUNS", "runs"))
LABEL_SETTINGS = ("lookback", "horizon", "lr", "target", "covariates", "value_col", "period", "dropout", "layers",
                  "hidden", "bidirectional", "epochs", "batch_size", "log", "difference", "calendar", "weight_decay",
                  "loss", "val_size")  # what a label adds, in this order, when two runs would read alike


@dataclass
class Run:
    """A trained model with everything needed to explain, re-apply and compare it."""

    config: Config  # resolved: period, horizon, lookback and val_size are set
    transform: Transform
    feature_names: list[str]
    model: Forecaster
    history: pd.DataFrame  # epoch, train_loss, val_loss, lr, seconds
    forecast: pd.DataFrame  # timestamp, actual, forecast, lower_80.. upper_95: the holdout, then the future
    baselines: pd.DataFrame  # timestamp, then per baseline its forecast and interval columns
    metrics: dict  # {"model": {...}, "baselines": {...}, "period": P, "horizon": H, "mase_scale": ..., ...}
    info: dict = field(default_factory=dict)  # run_id, label, created, source, freq, notes, timings...
    path: Path | None = None
    # The recurrent layers' weights at the best trained epoch, kept only when the forecast uses the untrained
    # network (best epoch 0): Look inside draws these (saved as trained.pt; info["inside_epoch"] says which epoch).
    inside_state: dict | None = None

    def inside_rnn(self):
        """The recurrent layers Look inside traces: the model's own, or those of its best trained epoch when
        no epoch beat the untrained network (so the pictures show what training learned, not the init)."""
        rnn = self.model.rnn
        if self.inside_state is None:
            return rnn

        trained = copy.deepcopy(rnn)
        trained.load_state_dict(self.inside_state)
        return trained.eval()

    @property
    def run_id(self) -> str:
        return self.info.get("run_id", "")

    @property
    def label(self) -> str:
        return self.info.get("label") or self.run_id


def new_run_id(cell: str, source: str, created: datetime | None = None) -> str:
    """Unique by construction: UTC time stamp, process ID and a random suffix, then cell and data."""
    created = created or datetime.now(timezone.utc)
    return f"{created:%Y%m%d-%H%M%S}-{os.getpid() % 100000:05d}{secrets.token_hex(3)}-{cell}-{_slug(source)}"


def run_folder(root: Path | str, run_id: str) -> Path:
    """The folder of the run `run_id` under `root`: UserError for an ID that is not ours (a separator, `..`)
    or a folder that resolves outside `root`."""
    folder = Path(root) / check_run_id(run_id, "the run ID")
    inside(root, folder)
    return folder


def describe(config: Config) -> str:
    """A run's default label: what it is, in a few words ('LSTM 64x1 · lookback 48 · seed 0')."""
    return f"{get(config.cell).label} {config.hidden}×{config.layers} · lookback {config.lookback} · seed {config.seed}"


def distinct_labels(records: list[tuple[str, str, dict]]) -> dict[str, str]:
    """run_id -> a label no other run shares: (run_id, label, config dict) records in.

    Runs whose labels read alike get the settings that tell them apart appended; runs alike in
    every setting get their ID's random part.
    """
    by_label: dict[str, list[tuple[str, dict]]] = {}
    for run_id, label, config in records:
        by_label.setdefault(label, []).append((run_id, config))
    out = {}
    for label, group in by_label.items():
        if len(group) == 1:
            out[group[0][0]] = label
            continue
        differ = [k for k in LABEL_SETTINGS if len({json.dumps(c.get(k), default=str) for _, c in group}) > 1]
        for run_id, config in group:
            extra = " · ".join(f"{k} {_setting_text(config.get(k))}" for k in differ if f"{k} " not in label)
            out[run_id] = f"{label} · {extra}" if extra else label
        seen: dict[str, int] = {}
        for run_id, _ in group:
            seen[out[run_id]] = seen.get(out[run_id], 0) + 1
        for run_id, _ in group:
            if seen[out[run_id]] > 1:
                out[run_id] = f"{out[run_id]} · #{_short_id(run_id)}"
    return out


def data_key(loaded: LoadedSeries) -> str:
    """A short fingerprint of the data (every column, the target's name, time stamps): runs on the same data share it."""
    cached = loaded.__dict__.get("_data_key")  # a loaded series never changes: hash it once
    if cached is not None:
        return cached
    h = hashlib.sha1()
    h.update(str(loaded.value_col).encode())
    h.update(str(list(loaded.frame.columns)).encode())
    h.update(np.ascontiguousarray(loaded.frame.to_numpy(dtype=float)).tobytes())  # covariates count too
    index = loaded.frame.index
    h.update(np.ascontiguousarray(index.asi8 if isinstance(index, pd.DatetimeIndex) else np.asarray(index)).tobytes())
    loaded.__dict__["_data_key"] = h.hexdigest()[:12]
    return loaded.__dict__["_data_key"]


# --- writing ---------------------------------------------------------------------------------


def save_run(run: Run, folder: Path | str, *, expect: str | None = "any", setting: str = "--out") -> Path:
    """Write the run's folder whole: into a hidden temporary sibling, manifest last, then swapped in.

    expect: the run ID the caller saw in `folder` before training ("" when it was absent), or
    "any" to replace whatever is there. When another writer put a different run there in the
    meantime, nothing is written and a UserError says so: a run is never lost silently.
    A folder that exists but is not a run folder is never replaced.
    setting: what a user changes to write elsewhere, named in the messages (the CLI's --out; the
    dashboard's runs folder).
    """
    import torch  # deferred: torch

    start = time.perf_counter()
    folder = Path(folder)
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the folder {str(parent)!r} ({exc.strerror}); choose another {setting}") from None
    try:
        _save_locked(run, folder, expect, start, torch, setting)
    except OSError as exc:  # a full disk, a read-only folder: the run stays in memory, nothing partial is left
        where = exc.filename or str(parent)
        raise UserError(f"the run was not saved: cannot write {str(where)!r} ({exc.strerror or exc}); "
                        f"free some space or choose a writable {setting}, then train again") from None
    run.path = folder
    return folder


def _save_locked(run: Run, folder: Path, expect: str | None, start: float, torch, setting: str) -> None:
    parent = folder.parent
    with _lock(parent / ".runs.lock"):  # one per folder of runs: writes are short, so they queue
        _check_replaceable(folder, expect, setting)
        clean_stale(parent)
        tmp = parent / f".{folder.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            tmp.mkdir()
            nulls = _write_json(tmp / "metrics.json", run.metrics)
            _write_csv(tmp / "forecast.csv", run.forecast)
            _write_csv(tmp / "baselines.csv", run.baselines)
            _write_csv(tmp / "history.csv", run.history)
            _write_file(tmp / "model.pt", lambda fh: torch.save(run.model.state_dict(), fh))
            if run.inside_state is not None:
                _write_file(tmp / "trained.pt", lambda fh: torch.save(run.inside_state, fh))
            timings = run.info.setdefault("timings", {})
            timings["write"] = round(time.perf_counter() - start, 3)
            run.info["written_as_null"] = nulls + [f"config.{k}" for k in dumps(_meta(run))[1]]  # e.g. a NaN smoothing_seasonal
            _write_json(tmp / "config.json", _meta(run))
            _write_manifest(tmp, run.run_id)
            _fsync_dir(tmp)
            _swap_in(tmp, folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


def relabel(folder: Path | str, label: str) -> None:
    """Give the run in `folder` a label of the user's choosing (rewritten and swapped in whole)."""
    label = " ".join(str(label).split())[:120]
    if not label:
        raise UserError("a label cannot be empty; type a few words that say what this run is")
    run = load_run(folder)
    run.info["label"], run.info["label_edited"] = label, True
    save_run(run, folder, expect=run.run_id)


def current_run_id(folder: Path | str) -> str:
    """The run ID in `folder`'s manifest; "" when there is no folder (for `save_run(expect=...)`)."""
    folder = Path(folder)
    if not os.path.lexists(folder):
        return ""
    try:
        return str(_read_json(folder / MANIFEST).get("run_id", ""))
    except UserError:
        return "?"  # something that is not a readable run


def _check_replaceable(folder: Path, expect: str | None, setting: str = "--out") -> None:
    if not os.path.lexists(folder):
        if expect not in (None, "any", ""):
            raise UserError(f"the run {expect!r} in {str(folder)!r} was removed while this one trained; "
                            f"nothing was written: choose another {setting} or train again")
        return
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise UserError(f"{str(folder)!r} exists and is not a folder; choose another {setting}")
    names = set(os.listdir(folder))
    if names and MANIFEST not in names and not names <= set(FILES) | set(OPTIONAL_FILES) | {"backtest.csv"}:
        raise UserError(f"{str(folder)!r} exists and is not a run folder ({len(names)} other files); "
                        f"choose an empty or new {setting}")
    now = current_run_id(folder) if MANIFEST in names else ""
    if expect not in (None, "any") and now != expect:
        raise UserError(f"another training wrote {str(folder)!r} while this one ran (now run {now!r}); "
                        f"that run is kept and nothing was written: choose another {setting}")


STALE_AFTER_S = 3600  # a temporary folder this old is a killed writer's even when its pid was reused
_TEMPORARY = re.compile(r"^\..+\.(?:tmp|old)-(?:(?P<pid>[0-9]{1,10})-)?[0-9a-f]{8}$")


def clean_stale(parent: Path) -> list[str]:
    """Remove the `.NAME.tmp-PID-HEX` / `.NAME.old-PID-HEX` folders a killed writer left in `parent`.

    Called under the folder's lock, where no live writer of this module is mid-write; a folder is
    removed when the process that made it is gone, or (pid reused, or a name without one) when it is
    older than STALE_AFTER_S. Returns the names removed."""
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        match = _TEMPORARY.match(name)
        if not match:
            continue
        path = parent / name
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            continue
        pid = match.group("pid")
        if (pid is not None and not _alive(int(pid))) or now - info.st_mtime > STALE_AFTER_S:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill there terminates the process: the age rule alone decides
    if pid == os.getpid():
        return True  # this process's own (another thread's write would hold the lock)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or we cannot tell: left to the age rule
    return True


def _swap_in(tmp: Path, folder: Path) -> None:
    """Make `tmp` be `folder`: an atomic exchange on Linux, else a rename (after moving the old aside)."""
    if not os.path.lexists(folder):
        os.rename(tmp, folder)
        return
    if _exchange(tmp, folder):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old run
        return
    old = folder.parent / f".{folder.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
    os.rename(folder, old)
    os.rename(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(RENAME_EXCHANGE): swap two paths atomically. False where the OS lacks it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if absent) for the block; waits for other holders."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _meta(run: Run) -> dict:
    return {"config": run.config.to_dict(), "transform": run.transform.to_dict(),
            "feature_names": run.feature_names, "info": run.info}


def _write_file(path: Path, write) -> None:
    with open(path, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def _write_json(path: Path, obj: Any) -> list[str]:
    """Write strict JSON; the keys whose NaN/inf were written as null (read back as "not applicable")."""
    text, nulls = dumps(obj)
    _write_file(path, lambda fh: fh.write(text.encode("utf-8")))
    return [f"{path.stem}.{k}" for k in nulls]


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    _write_file(path, lambda fh: neutralise(frame).to_csv(fh, index=False))


def _write_manifest(folder: Path, run_id: str) -> None:
    names = DATA_FILES + tuple(n for n in OPTIONAL_FILES if (folder / n).exists())
    files = {name: {"bytes": (folder / name).stat().st_size, "sha256": file_sha256(folder / name)} for name in names}
    _write_json(folder / MANIFEST, {"run_id": run_id, "files": files, "format": 1})


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- reading ---------------------------------------------------------------------------------


def load_run(folder: Path | str, *, root: Path | str | None = None) -> Run:
    """Rebuild a run from its folder, after checking its manifest; the model from config.json,
    weights with weights_only=True, checked against the config and for finite values.

    root: when given, the folder must lie inside it (a link out of the runs folder is refused).
    """
    import torch  # deferred: torch

    from .model import build_model  # deferred: model.py imports torch
    from .prepare import Transform  # deferred: prepare.py imports statsmodels

    folder = Path(folder)
    label = repr(str(folder))
    entry = read_entry(folder, root=root)
    if not entry.ok:
        raise UserError(f"the run in {label} cannot be used ({entry.reason}); retrain it or remove the folder")
    meta = entry.meta
    _verify(folder, entry.manifest, ("forecast.csv", "baselines.csv", "history.csv", "model.pt"))
    try:
        config = Config.from_dict(meta["config"])
        model = build_model(len(meta["feature_names"]), config)
        with open(folder / "model.pt", "rb") as fh:
            state = torch.load(fh, map_location="cpu", weights_only=True)
        _check_state(state, model)
        model.load_state_dict(state)
        model.eval()
        inside = None
        if "trained.pt" in entry.manifest["files"]:
            _verify(folder, entry.manifest, ("trained.pt",))
            with open(folder / "trained.pt", "rb") as fh:
                inside = torch.load(fh, map_location="cpu", weights_only=True)
            _check_state(inside, model.rnn, "trained.pt")
        dated = bool(meta["info"].get("freq"))
        forecast = _read_frame(folder / "forecast.csv", dated)
        baselines = _read_frame(folder / "baselines.csv", dated)
        return Run(config=config, transform=Transform.from_dict(meta["transform"]), feature_names=list(meta["feature_names"]),
                   model=model, history=pd.read_csv(folder / "history.csv"), forecast=forecast, baselines=baselines,
                   metrics=entry.metrics, info=dict(meta["info"]), path=folder, inside_state=inside)
    except UserError:
        raise
    except (ValueError, KeyError, TypeError, RuntimeError, OSError, EOFError, pd.errors.ParserError,
            pickle.UnpicklingError) as exc:
        if isinstance(exc, pickle.UnpicklingError) or "weights_only" in str(exc) or "Weights only" in str(exc):
            reason = "model.pt is not a plain state_dict: it asks to run code when loaded, so it was not loaded"
        else:
            reason = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:160]}"
        raise UserError(f"the run in {label} cannot be read ({reason}); retrain it or remove the folder") from None


def read_forecasts(folder: Path | str, *, root: Path | str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A saved run's forecast and baselines frames, checked against its manifest, without its model."""
    folder = Path(folder)
    entry = read_entry(folder, root=root)
    if not entry.ok:
        raise UserError(f"the run in {str(folder)!r} cannot be used ({entry.reason}); retrain it or remove the folder")
    _verify(folder, entry.manifest, ("forecast.csv", "baselines.csv"))
    dated = bool(entry.info.get("freq"))
    return _read_frame(folder / "forecast.csv", dated), _read_frame(folder / "baselines.csv", dated)


def _check_state(state: Any, model, name: str = "model.pt") -> None:
    """model.pt (or trained.pt, of the recurrent layers) must be a dict of finite tensors with exactly the model's keys and shapes."""
    import torch  # deferred: torch

    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UserError(f"{name} is not a state_dict of tensors; retrain the run")
    expected = model.state_dict()
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        raise UserError(f"{name} does not match config.json (missing {missing[:3]}, unexpected {extra[:3]}); "
                        "retrain the run")
    for key, value in state.items():
        if tuple(value.shape) != tuple(expected[key].shape):
            raise UserError(f"{name} does not match config.json ({key} has shape {tuple(value.shape)}, the config "
                            f"builds {tuple(expected[key].shape)}); retrain the run")
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise UserError(f"{name} holds NaN or infinite weights ({key}); retrain the run")


def _read_frame(path: Path, dated: bool) -> pd.DataFrame:
    frame = pd.read_csv(path)  # exactly the floats written from pandas 3.1 on (the floor; 3.0 was off in the last bit)
    if dated and "timestamp" in frame:
        frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


@dataclass
class RunEntry:
    """One folder of the runs index, read from config.json and metrics.json only (no model, no CSVs)."""

    folder: Path
    ok: bool
    reason: str = ""  # why it is broken
    meta: dict = field(default_factory=dict)  # config.json
    metrics: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    mtime: float = 0.0

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or self.folder.name)

    @property
    def info(self) -> dict:
        return self.meta.get("info", {})

    @property
    def config(self) -> dict:
        return self.meta.get("config", {})

    @property
    def label(self) -> str:
        return str(self.info.get("label") or self.run_id)


def read_entry(folder: Path | str, *, root: Path | str | None = None) -> RunEntry:
    """The index entry of one folder: never raises; a broken folder gets ok=False and the reason."""
    folder = Path(folder)
    try:
        info = os.lstat(folder)
        if root is not None:  # resolved: `..`, absolute paths and links anywhere on the way are followed
            try:
                real = inside(root, folder)
            except UserError:
                why = "a link to a folder" if stat.S_ISLNK(info.st_mode) else "a folder"
                return RunEntry(folder, False, f"it is {why} outside the runs folder {str(root)!r}")
            if real == Path(os.path.realpath(root)):
                return RunEntry(folder, False, "it is the runs folder itself, not a run folder in it")
        if stat.S_ISLNK(info.st_mode):
            if root is None:
                return RunEntry(folder, False, "it is a link to a folder outside the runs folder")
            info = os.stat(folder)
        if not stat.S_ISDIR(info.st_mode):
            return RunEntry(folder, False, "it is not a folder")
        if not os.path.lexists(folder / MANIFEST):
            missing = [n for n in DATA_FILES if not os.path.lexists(folder / n)]
            why = (f"missing {', '.join(missing)}" if missing else "no manifest.json: written by an older version, "
                   "or the writer stopped before finishing")
            return RunEntry(folder, False, f"not a complete run folder ({why})")
        manifest = _read_json(folder / MANIFEST)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            return RunEntry(folder, False, "manifest.json is not a run manifest")
        _verify(folder, manifest, ("config.json", "metrics.json"))
        _verify(folder, manifest, ("forecast.csv", "baselines.csv", "history.csv", "model.pt"), hashes=False)
        meta, metrics = _read_json(folder / "config.json"), _read_json(folder / "metrics.json")
        why = _shape_problem(meta, metrics)
        if why:
            return RunEntry(folder, False, why)
        if str(meta["info"].get("run_id", "")) != str(manifest.get("run_id", "")):
            return RunEntry(folder, False, "config.json belongs to another run than the manifest")
        return RunEntry(folder, True, "", meta, metrics, manifest, os.lstat(folder / MANIFEST).st_mtime)
    except UserError as exc:
        return RunEntry(folder, False, str(exc))
    except OSError as exc:
        return RunEntry(folder, False, f"cannot read it ({exc.strerror or exc})")


def _shape_problem(meta: Any, metrics: Any) -> str:
    if not isinstance(meta, dict) or not all(isinstance(meta.get(k), dict) for k in ("config", "transform", "info")):
        return "config.json lacks its config, transform or info"
    if not isinstance(meta.get("feature_names"), list):
        return "config.json lacks feature_names"
    if not isinstance(metrics, dict) or not isinstance(metrics.get("model"), dict) \
            or not isinstance(metrics.get("baselines"), dict):
        return "metrics.json lacks the model's or the baselines' scores"
    from .prepare import Transform  # deferred: prepare.py imports statsmodels

    try:
        Config.from_dict(meta["config"])
    except (UserError, TypeError, ValueError) as exc:
        return f"config.json holds an invalid config ({exc})"
    try:
        Transform.from_dict(meta["transform"])
    except UserError as exc:
        return str(exc)
    return ""


def index_runs(root: Path | str = DEFAULT_RUNS_DIR) -> list[RunEntry]:
    """Every run folder under `root`, good or broken, newest first (hidden and temporary folders skipped)."""
    root = Path(root)
    if not root.is_dir():
        return []
    entries = [read_entry(root / name, root=root) for name in sorted(os.listdir(root)) if not name.startswith(".")]
    return sorted(entries, key=lambda e: (e.ok, e.info.get("created", ""), e.mtime), reverse=True)


def list_runs(root: Path | str = DEFAULT_RUNS_DIR) -> list[Path]:
    """Good run folders under `root`, newest first."""
    return [e.folder for e in index_runs(root) if e.ok]


def _verify(folder: Path, manifest: dict, names: tuple[str, ...], hashes: bool = True) -> None:
    """Each named file is a regular file whose size and (with `hashes`) SHA-256 match the manifest.

    The index checks sizes only (cheap, catches torn files); opening a run checks every hash."""
    files = manifest.get("files", {})
    for name in names:
        expected = files.get(name)
        if not isinstance(expected, dict):
            raise UserError(f"{name} is not in the manifest: the folder mixes files of different runs")
        path = folder / name
        size = _regular_size(path, MAX_MODEL_BYTES if name.endswith(".pt") else MAX_CSV_BYTES)
        if size != expected.get("bytes") or (hashes and file_sha256(path) != expected.get("sha256")):
            raise UserError(f"{name} does not match the manifest: the folder is torn or mixes runs")


def _regular_size(path: Path, limit: int) -> int:
    """The size of a regular file no larger than `limit`; UserError for links, FIFOs, devices or huge files."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise UserError(f"{path.name} is missing") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise UserError(f"{path.name} is {kind}; a run folder holds only plain files")
    if info.st_size > limit:
        raise UserError(f"{path.name} is {info.st_size:,} bytes, over the {limit:,} a run file may have")
    return info.st_size


def _read_json(path: Path) -> Any:
    _regular_size(path, MAX_JSON_BYTES)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise UserError(f"{path.name} is not a regular file")
        data = fh.read(MAX_JSON_BYTES + 1)
    return loads(data, path.name)


def _slug(text: str) -> str:
    keep = "".join(ch if ch.isalnum() else "-" for ch in str(text).lower())
    return "-".join(filter(None, keep.split("-")))[:40] or "series"


def _short_id(run_id: str) -> str:
    parts = run_id.split("-")
    return parts[2] if len(parts) > 2 else run_id


def _setting_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "+".join(map(str, value)) or "none"
    return str(value)
