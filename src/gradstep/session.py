"""Session files: a whole playground session, saved and loaded without pickle.

Format: a numpy `.npz` archive (read with allow_pickle=False) holding plain numeric arrays and
one JSON document, `meta`, that describes them:

  meta            JSON (a 0-d unicode array): format "gradstep-session", version 1, the scenario
                  (name, title, description), the network's shape and options, the training
                  settings, counters, random-generator states, and the data's names
  params          every weight matrix (row-major, [i][j]) then every bias vector, then batch
                  norm's γ of each normalised hidden layer, then its β: one flat array
  running         batch norm's running means, then running variances (only with batch norm)
  tracked         the training batches each hidden layer's batch norm has seen (only with it)
  frozen_<l>      bool mask of layer l's frozen weights (only layers with any)
  optimizer_buf   momentum buffer | optimizer_m, optimizer_v: Adam's moments
  order           the current epoch's shuffle of the training split
  history         5 × n: step, epoch, train_loss, test_loss, accuracy
  batch_loss      every step's mini-batch loss (each entry the mean of `loss_stride` steps)
  sums, sum_shapes  per history row: each layer's Σw and its neurons' incoming sums, and which
                  of meta's layer shapes the row was recorded with
  train_x, train_y, test_x, test_y   the data, so a session opens without its scenario file

Loading it rebuilds the trainer through Trainer.restore, so training continues exactly as if
the session had never been saved. A session file is input like any other: before any array is
allocated, the zip's directory, the members' names, compression and .npy headers, the meta and
every shape against it, and the memory budget are checked; whatever a crafted archive raises
becomes one SessionError line.
"""

import io
import json
import math
import re
import struct
import zipfile
from typing import NamedTuple

import numpy as np
from numpy.lib import format as npformat

from gradstep import budget
from gradstep.bounded import loads_json
from gradstep.errors import GradstepError
from gradstep.files import FileError, atomic_write, open_regular, shown
from gradstep.history import MAX_BATCH_LOSSES, MAX_HISTORY_ROWS, PER_LAYER, History, row_cap
from gradstep.lesson import FOCUS, Lesson
from gradstep.live import DEFAULT_PACE, parse_pace
from gradstep.model.spec import NetworkSpec
from gradstep.scenarios.data import Dataset
from gradstep.scenarios.features import check as check_features
from gradstep.settings import TrainingSettings
from gradstep.text import one_line, printable
from gradstep.training import Snapshot, Trainer

FORMAT, VERSION = "gradstep-session", 2
READS = (1, 2)  # version 1 named the network's keys as Network.snapshot did
SUFFIX = ".gradstep.npz"


class SessionError(GradstepError):
    """A session file that cannot be read; the message names the file."""


def session_bytes(trainer, lesson=None) -> bytes:
    """The session file's bytes, written nowhere (for a browser download)."""
    buffer = io.BytesIO()
    save_session(buffer, trainer, lesson)
    return buffer.getvalue()


def save_session(path, trainer, lesson=None, force=False):
    """Write the trainer's whole state to `path` atomically, with its Lesson (`force`: even
    over a read-only file); or into `path` when it is a binary file object (session_bytes)."""
    snap = trainer.snapshot()
    net = snap.network
    lesson = lesson or Lesson()
    history = snap.history.copy(snap.history_mark)
    steps, losses = history.losses()
    sums, sum_shapes = history.sums_table()
    arrays = {"params": net["params"], "history": history.rows(), "batch_loss": losses,
              "sums": sums, "sum_shapes": sum_shapes}
    if any(net["batch_norm"]):
        arrays["running"], arrays["tracked"] = net["running"], net["tracked"]
    frozen_layers = [l for l, f in enumerate(net["frozen"]) if f is not None]
    for l in frozen_layers:
        arrays[f"frozen_{l}"] = net["frozen"][l]
    opt_name, state = snap.optimizer
    adam_steps = 0
    if opt_name == "momentum" and state is not None:
        arrays["optimizer_buf"] = state
    elif opt_name == "adam" and state is not None:
        arrays["optimizer_m"], arrays["optimizer_v"], adam_steps = state
    if snap.order is not None:
        arrays["order"] = snap.order
    for split, data in (("train", trainer.raw_train), ("test", trainer.raw_test)):
        arrays[f"{split}_x"], arrays[f"{split}_y"] = np.asarray(data.x), np.asarray(data.y)
        if data.points is not None:
            arrays[f"{split}_points"] = np.asarray(data.points)
    meta = {
        "format": FORMAT, "version": VERSION,
        "scenario": {"name": lesson.name, "title": lesson.title, "description": lesson.text,
                     "watch": lesson.watch, "pace": lesson.pace, "focus": list(lesson.focus)},
        "network": {**trainer.network.spec(params=False).to_dict(params=False),
                    "rng_state": net["rng_state"]},
        "frozen_layers": frozen_layers,
        "settings": snap.settings.as_dict(),
        "optimizer": {"name": opt_name, "has_state": state is not None, "adam_steps": adam_steps},
        "trainer": {"seed": trainer.seed, "step_count": snap.step_count,
                    "epoch_count": snap.epoch_count, "position": snap.position,
                    "rng_state": snap.rng_state, "diverged": snap.diverged,
                    "status": snap.status,
                    "last_loss": None if math.isnan(snap.last_loss) else snap.last_loss},
        "history": {"edits": list(history.edits), "loss_stride": history.stride,
                    "shapes": [list(shape) for shape in history.shapes]},
        "data_spec": trainer.data_spec,
        "data": {"task": trainer.raw_train.task, "n_classes": trainer.raw_train.n_classes,
                 "feature_names": list(trainer.raw_train.feature_names),
                 "target_names": list(trainer.raw_train.target_names),
                 "image": None if trainer.raw_train.image is None else
                 list(trainer.raw_train.image),
                 "features": None if trainer.raw_train.features is None else
                 list(trainer.raw_train.features)},
    }
    arrays["meta"] = np.array(json.dumps(meta))
    if hasattr(path, "write"):
        np.savez(path, **arrays)
    else:
        atomic_write(path, lambda f: np.savez(f, **arrays), force)


# --- loading: every check before a trainer exists -------------------------------------------

MAX_META_CHARS = 4_000_000      # the JSON document; its lesson and status are text
MAX_META_DEPTH = 8              # meta nests 4 deep
MAX_MEMBERS = 4096              # arrays in the archive (a frozen mask per layer among them)
MAX_DIRECTORY = 1_000_000       # bytes of the zip's central directory
MAX_HEADER = 10_000             # bytes of one .npy header (numpy's own default)
MAX_COUNT = 2**63 - 1           # counters, positions, seeds
FIXED = {"meta", "params", "history", "batch_loss", "order", "optimizer_buf", "optimizer_m",
         "optimizer_v", "train_x", "train_y", "test_x", "test_y", "sums", "sum_shapes",
         "train_points", "test_points", "running", "tracked"}
MAX_SHAPES = 10_000             # layer shapes the sums over time were recorded with
STATE_MEMBERS = {"sgd": (), "momentum": ("optimizer_buf",), "adam": ("optimizer_m", "optimizer_v")}


class Header(NamedTuple):
    """What a member's .npy header promises: read before any array is allocated."""

    shape: tuple
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def load_session(path):
    """(trainer, Lesson) from a session file; SessionError (one line, naming the file) if it is
    not one. Whatever a crafted archive holds, nothing but SessionError leaves here (and
    KeyboardInterrupt), and no array is allocated before its header is checked against the
    meta and the memory budget."""
    where = shown(path)
    try:
        with open_regular(path, "session") as f:
            return _load(f)
    except SessionError:
        raise
    except FileError as e:
        raise SessionError(str(e)) from None
    except GradstepError as e:
        raise SessionError(f"{where}: {e}") from None
    except MemoryError:
        raise SessionError(f"{where}: does not fit in memory") from None
    except Exception as e:  # noqa: BLE001 - a crafted archive can raise almost anything
        text = getattr(e, "strerror", None) or str(e)
        reason = one_line(text, 120) if text.strip() else type(e).__name__
        raise SessionError(f"{where}: not a readable gradstep session ({reason})") from None


def _load(f):
    _check_directory(f)
    with zipfile.ZipFile(f) as archive:
        infos = _members(archive)
        meta = _read_meta(archive, infos.pop("meta"))
        headers = {name: _header(archive, info) for name, info in infos.items()}
        checked = _check_meta(meta, headers)
        _check_budget(checked, headers)
        arrays = {name: _array(archive, infos[name], headers[name]) for name in headers}
    return _build(checked, arrays)


def _check_directory(f) -> None:
    """The zip's end record, read before zipfile builds an entry per member: at most
    MAX_MEMBERS members in a directory of at most MAX_DIRECTORY bytes."""
    size = f.seek(0, 2)
    tail_size = min(size, 22 + 65_535)
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise ValueError("not a zip archive")
    members, directory = struct.unpack("<HI", tail[at + 10:at + 16])
    if members == 0xFFFF or directory == 0xFFFFFFFF:  # zip64: the real counts are elsewhere
        locator = tail[at - 20:at] if at >= 20 else b""
        if locator[:4] != b"PK\x06\x07":
            raise ValueError("a damaged zip64 directory")
        (offset,) = struct.unpack("<Q", locator[8:16])
        f.seek(offset)
        record = f.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            raise ValueError("a damaged zip64 directory")
        members, directory = struct.unpack("<QQ", record[32:48])
    if members > MAX_MEMBERS or directory > MAX_DIRECTORY:
        raise ValueError(f"{members:,} members in a directory of {directory:,} bytes; a session "
                         f"has at most {MAX_MEMBERS:,}")
    f.seek(0)


def _members(archive) -> dict:
    """Member name (without .npy) to ZipInfo, every name one a session has, each readable."""
    infos = {}
    for info in archive.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if not (name in FIXED or re.fullmatch(r"frozen_(0|[1-9][0-9]{0,5})", name)):
            raise ValueError(f"an unexpected member {printable(info.filename, 40)!r}")
        if name in infos:
            raise ValueError(f"the member {name!r} twice")
        if info.flag_bits & 0x1:
            raise ValueError(f"the member {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"the member {name!r} uses compression method "
                             f"{info.compress_type}; sessions use none or deflate")
        infos[name] = info
    for name in ("meta", "params", "history", "train_x", "train_y", "test_x", "test_y"):
        if name not in infos:
            raise ValueError(f"no {name!r} member")
    return infos


def _header(archive, info) -> Header:
    """The .npy header of a member: plain numbers (or the meta's text), a sane shape."""
    with archive.open(info) as fp:
        version = npformat.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(fp, max_header_size=MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = npformat.read_array_header_2_0(fp, max_header_size=MAX_HEADER)
        else:
            raise ValueError(f"npy format version {version}")
    name = info.filename
    if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None \
            or dtype.kind not in "biufU" or len(shape) > 2 \
            or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"the member {printable(name, 40)!r} is not a plain numeric array")
    return Header(tuple(shape), dtype)


def _read_meta(archive, info) -> dict:
    header = _header(archive, info)
    if header.dtype.kind != "U" or header.shape != () \
            or header.dtype.itemsize > 4 * MAX_META_CHARS:
        raise ValueError("no gradstep-session metadata")
    meta = loads_json(str(_array(archive, info, header)[()]), MAX_META_DEPTH)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError("no gradstep-session metadata")
    if meta.get("version") not in READS or isinstance(meta.get("version"), bool):
        raise ValueError(f"session version {printable(meta.get('version'), 20)}; this gradstep "
                         f"reads {', '.join(map(str, READS))}")
    return meta


def _array(archive, info, header: Header) -> np.ndarray:
    with archive.open(info) as fp:
        array = npformat.read_array(fp, allow_pickle=False, max_header_size=MAX_HEADER)
    if array.shape != header.shape or array.dtype != header.dtype:
        raise ValueError(f"the member {info.filename!r} changed while it was read")
    return array


# --- the meta, checked against itself and against the arrays' headers --------------------------


def _fail(what: str) -> ValueError:
    return ValueError(what)


def _table(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(f"{what} is not a table")
    return value


def _whole(value, what: str, lo: int = 0, hi: int = MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(f"{what} must be a whole number from {lo:,} to {hi:,}")
    return value


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"{what} must be text")
    return value


def _rng(value, what: str) -> dict:
    """A PCG64 state as numpy takes it: 128-bit state and increment, a 32-bit spare."""
    value = _table(value, what)
    inner = _table(value.get("state"), what)
    if value.get("bit_generator") != "PCG64" or set(value) != {"bit_generator", "state",
                                                                 "has_uint32", "uinteger"} \
            or set(inner) != {"state", "inc"}:
        raise _fail(f"{what} is not a PCG64 state")
    _whole(inner["state"], f"{what}'s state", 0, 2**128 - 1)
    _whole(inner["inc"], f"{what}'s increment", 0, 2**128 - 1)
    _whole(value["has_uint32"], f"{what}'s has_uint32", 0, 1)
    _whole(value["uinteger"], f"{what}'s uinteger", 0, 2**32 - 1)
    np.random.PCG64().state = value  # the last word is numpy's
    return value


def _names(value, count: int, what: str) -> tuple:
    if not isinstance(value, list) or len(value) != count or \
            not all(isinstance(n, str) for n in value):
        raise _fail(f"{what} must be a list of {count} names")
    return tuple(value)


def _shape(headers, name: str, shape: tuple, kinds: str, what: str | None = None) -> None:
    header = headers.get(name)
    if header is None:
        raise _fail(f"no {name!r} member")
    if len(header.shape) != len(shape) or any(want is not None and got != want
                                               for got, want in zip(header.shape, shape)):
        wanted = "×".join("n" if n is None else str(n) for n in shape) or "a single value"
        raise _fail(f"{what or name}: shape {header.shape}, not {wanted}")
    if header.dtype.kind not in kinds:
        raise _fail(f"{what or name}: {header.dtype.name} values")


def _check_meta(meta: dict, headers: dict) -> dict:
    """Every field of the meta checked, and every array's header checked against it; the
    pieces a trainer is built from."""
    network = dict(_table(meta.get("network"), "network"))
    data = _table(meta.get("data"), "data")
    t = _table(meta.get("trainer"), "trainer")
    opt = _table(meta.get("optimizer"), "optimizer")
    hist = _table(meta.get("history"), "history")
    scenario = _table(meta.get("scenario"), "scenario")
    if meta["version"] == 1:
        if "sizes" not in network or "activations" not in network:
            raise _fail("network has no sizes")
        network["layers"], network["activation"] = network.pop("sizes"), network.pop("activations")
    rng_state = _rng(network.pop("rng_state", None), "the network's random state")
    spec = NetworkSpec.from_mapping(network)
    settings = TrainingSettings.from_mapping(_table(meta.get("settings"), "settings"))
    layers = spec.layers
    depth = len(layers) - 1

    task = data.get("task")
    if task not in ("regression", "classification"):
        raise _fail("data's task must be regression or classification")
    n_classes = _whole(data.get("n_classes"), "n_classes", 0, 1_000_000)
    if (task == "classification") != (n_classes >= 2):
        raise _fail(f"n_classes {n_classes} does not fit a {task} task")
    _shape(headers, "train_x", (None, layers[0]), "f", "the training inputs")
    _shape(headers, "test_x", (None, layers[0]), "f", "the test inputs")
    n_train, n_test = headers["train_x"].shape[0], headers["test_x"].shape[0]
    if n_train < 1:
        raise _fail("no training rows")
    if task == "regression":
        k = headers["train_y"].shape[1] if len(headers["train_y"].shape) == 2 else -1
        _shape(headers, "train_y", (n_train, None), "f", "the training targets")
        _shape(headers, "test_y", (n_test, k), "f", "the test targets")
        targets = _names(data.get("target_names"), k, "target_names")
    else:
        _shape(headers, "train_y", (n_train,), "iu", "the training labels")
        _shape(headers, "test_y", (n_test,), "iu", "the test labels")
        targets = _names(data.get("target_names"), n_classes, "target_names")
    features = _names(data.get("feature_names"), layers[0], "feature_names")
    image = data.get("image")
    if image is not None:
        if not isinstance(image, list) or len(image) != 2:
            raise _fail("the picture shape must be [rows, columns]")
        rows_, cols_ = (_whole(n, "a picture side", 1, layers[0]) for n in image)
        if rows_ * cols_ != layers[0]:
            raise _fail("the stored picture shape does not match the inputs")
    plane = data.get("features")
    if plane is not None and (check_features(plane) is None or len(plane) != layers[0]):
        raise _fail("the stored features do not match the data")
    for split, n in (("train", n_train), ("test", n_test)):
        if f"{split}_points" in headers:
            _shape(headers, f"{split}_points", (n, 2), "f", f"the {split} points")
    if plane is not None and "train_points" not in headers:
        raise _fail("features of the plane without its points")
    data_spec = meta.get("data_spec")
    if data_spec is not None and (not isinstance(data_spec, dict) or
                                  not all(isinstance(k, str) for k in data_spec)):
        raise _fail("the stored [data] table is malformed")

    normed = [n for n, on in zip(layers[1:-1], spec.batch_norm) if on]
    n_params = budget.parameter_count(layers, spec.bias) + 2 * sum(normed)
    _shape(headers, "params", (n_params,), "f", "the weights")
    if normed:
        _shape(headers, "running", (2 * sum(normed),), "f", "the batch norm statistics")
        _shape(headers, "tracked", (len(layers) - 2,), "iu", "the batch norm batch counts")
    elif "running" in headers or "tracked" in headers:
        raise _fail("batch norm statistics for a network without batch norm")
    frozen = meta.get("frozen_layers")
    if not isinstance(frozen, list) or len(set(map(repr, frozen))) != len(frozen):
        raise _fail("frozen_layers must be a list of layers")
    for l in frozen:
        _whole(l, "a frozen layer", 0, depth - 1)
        _shape(headers, f"frozen_{l}", (layers[l], layers[l + 1]), "b", f"frozen_{l}")
    extra = [n for n in headers if n.startswith("frozen_") and int(n[7:]) not in frozen]
    if extra:
        raise _fail(f"{extra[0]} is not among the frozen layers")

    name = opt.get("name")
    if name != settings.optimizer:
        raise _fail(f"the optimizer state is for {printable(name, 20)!r} but the settings say "
                    f"{settings.optimizer!r}")
    has_state = opt.get("has_state")
    if not isinstance(has_state, bool):
        raise _fail("the optimizer's has_state must be true or false")
    adam_steps = _whole(opt.get("adam_steps", 0), "adam_steps")
    for member in ("optimizer_buf", "optimizer_m", "optimizer_v"):
        wanted = has_state and member in STATE_MEMBERS[name]
        if wanted:
            _shape(headers, member, (n_params,), "f")
        elif member in headers:
            raise _fail(f"{member} does not belong to the {name} optimizer"
                        + ("" if has_state else " without state"))
    if name == "adam" and has_state and adam_steps < 1:
        raise _fail("adam_steps must be at least 1 when Adam has state")

    if "order" in headers:
        _shape(headers, "order", (n_train,), "iu", "the epoch order")
    _shape(headers, "history", (len(History.COLUMNS), None), "f", "the history")
    if headers["history"].shape[1] > MAX_HISTORY_ROWS:
        raise _fail(f"the history has more than {MAX_HISTORY_ROWS:,} rows")
    if "batch_loss" in headers:
        _shape(headers, "batch_loss", (None,), "f", "the mini-batch losses")
        if headers["batch_loss"].shape[0] > MAX_BATCH_LOSSES:
            raise _fail(f"more than {MAX_BATCH_LOSSES:,} mini-batch losses")
    step_count = _whole(t.get("step_count"), "step_count")
    edits = hist.get("edits")
    if not isinstance(edits, list):
        raise _fail("the history's edits must be a list")
    for step in edits:
        _whole(step, "an edit's step", 0, step_count)  # the loss plot marks them
    stride = _whole(hist.get("loss_stride", 1), "loss_stride", 1, 2**62)
    shapes = hist.get("shapes", [])
    if not isinstance(shapes, list) or len(shapes) > MAX_SHAPES:
        raise _fail("the history's layer shapes must be a list")
    for shape in shapes:
        if not isinstance(shape, list) or not 2 <= len(shape) <= len(layers) + 1000:
            raise _fail("a layer shape of the history is malformed")
        for n in shape:
            _whole(n, "a layer size of the history", 1, 10**6)
    if "sums" in headers or "sum_shapes" in headers:
        rows = headers["history"].shape[1]
        _shape(headers, "sums", (rows, None), "f", "the sums over time")
        _shape(headers, "sum_shapes", (rows,), "iu", "the sums' layer shapes")
        width = headers["sums"].shape[1]
        if width > PER_LAYER * 1001 or rows > max(row_cap(width), MAX_HISTORY_ROWS // 8):
            raise _fail(f"the sums over time: {rows:,} rows of {width:,} (too many)")

    pace = scenario.get("pace", DEFAULT_PACE)
    pace = None if pace is None else parse_pace(pace)
    focus = scenario.get("focus", [])
    if not isinstance(focus, list):
        raise _fail("the lesson's focus must be a list")

    last_loss = t.get("last_loss")
    if last_loss is not None and (isinstance(last_loss, bool)
                                  or not isinstance(last_loss, (int, float))):
        raise _fail("last_loss must be a number")
    if not isinstance(t.get("diverged"), bool):
        raise _fail("diverged must be true or false")
    position = _whole(t.get("position"), "the position in the epoch", 0, n_train)
    if position < n_train and "order" not in headers:
        raise _fail("the epoch under way has no order")  # the next step would take from it
    return {
        "spec": spec, "network_rng": rng_state, "settings": settings, "task": task,
        "n_classes": n_classes, "features": features, "targets": targets,
        "frozen": frozen, "optimizer": name, "has_state": has_state, "adam_steps": adam_steps,
        "edits": edits, "stride": stride,
        "seed": _whole(t.get("seed"), "the seed", 0, 2**128 - 1),
        "step_count": step_count,
        "epoch_count": _whole(t.get("epoch_count"), "epoch_count"),
        "position": position, "rng_state": _rng(t.get("rng_state"), "the trainer's random state"),
        "diverged": t["diverged"], "status": _text(t.get("status"), "status"),
        "last_loss": math.nan if last_loss is None else float(last_loss),
        "lesson": Lesson(_text(scenario.get("name"), "the scenario's name"),
                         _text(scenario.get("title"), "the scenario's title"),
                         _text(scenario.get("description"), "the scenario's description"),
                         _text(scenario.get("watch", ""), "the scenario's watch line"), pace,
                         tuple(f for f in focus if f in FOCUS)),
        "n_train": n_train, "n_test": n_test, "image": image, "plane": plane,
        "data_spec": data_spec, "shapes": shapes,
    }


def _check_budget(checked: dict, headers: dict) -> None:
    """The trainer this session becomes, and what only the file holds (history, losses)."""
    spec, settings = checked["spec"], checked["settings"]
    y = headers["train_y"].shape
    itemsize = np.dtype(spec.dtype).itemsize
    regression = checked["task"] == "regression"
    encoded = spec.layers[-1] if (regression or settings.loss != "cross-entropy") else 0
    parts = budget.training_parts(
        spec.layers, itemsize, n_train=checked["n_train"], n_test=checked["n_test"],
        n_inputs=spec.layers[0], raw_targets=y[1] if len(y) == 2 else 1,
        encoded_targets=encoded, batch=settings.batch_size, optimizer=settings.optimizer,
        bias=spec.bias)
    parts.append(("the history and mini-batch losses", 2 * sum(
        headers[n].nbytes for n in ("history", "batch_loss", "sums", "sum_shapes")
        if n in headers), None))
    budget.check(parts, "this session")


def _build(c: dict, arrays: dict):
    train, test = (_dataset(arrays[f"{s}_x"], arrays[f"{s}_y"], c, arrays.get(f"{s}_points"))
                   for s in ("train", "test"))
    network = c["spec"].build()
    params = arrays["params"]
    if not np.all(np.isfinite(params)):
        raise ValueError("the weights are not finite")
    frozen = [None] * network.depth
    for l in c["frozen"]:
        frozen[l] = arrays[f"frozen_{l}"]
    settings = c["settings"]
    trainer = Trainer(network, train, test, settings, seed=c["seed"])
    state = None
    if c["has_state"]:
        if c["optimizer"] == "momentum":
            state = _like(arrays["optimizer_buf"], params)
        elif c["optimizer"] == "adam":
            state = (_like(arrays["optimizer_m"], params), _like(arrays["optimizer_v"], params),
                     c["adam_steps"])
    history = arrays["history"].astype(float)
    steps = history[0]
    if not (np.all(np.isfinite(steps)) and np.all(np.diff(steps) >= 0)
            and (not len(steps) or 0 <= steps[0] and steps[-1] <= c["step_count"])):
        raise ValueError("the loss history's steps are out of order or out of range")
    order = arrays.get("order")
    n_train = len(train)
    if order is not None and not np.array_equal(np.sort(order), np.arange(n_train)):
        raise ValueError("the epoch order does not match the data")
    losses = arrays.get("batch_loss")
    sums = _sums(arrays, c["shapes"], history.shape[1])
    full = History(history, losses, c["stride"], c["edits"], sums, c["shapes"])
    network_snap = {**network.snapshot(), "params": params, "frozen": frozen,
                    "rng_state": c["network_rng"], **_running(arrays, network)}
    trainer.restore(Snapshot(
        network=network_snap, settings=settings, optimizer=(c["optimizer"], state),
        step_count=c["step_count"], epoch_count=c["epoch_count"], position=c["position"],
        order=order, rng_state=c["rng_state"], diverged=c["diverged"], status=c["status"],
        last_loss=c["last_loss"], history=full, history_mark=full.mark()))
    trainer.data_spec = c["data_spec"]
    return trainer, c["lesson"]


def _sums(arrays, shapes, rows):
    """The sums over time and which of the layer shapes each row was of, or None."""
    if "sums" not in arrays:
        return None
    sums, ids = arrays["sums"].astype(float), arrays["sum_shapes"]
    if rows and not 0 <= ids.min() <= ids.max() < len(shapes):
        raise ValueError("the sums over time do not match the history")
    return sums, ids


def _running(arrays, network):
    """Batch norm's running statistics and batch counts, checked against the network."""
    if not any(network.batch_norm):
        return {}
    running, tracked = arrays["running"], arrays["tracked"]
    variances = network.norm_views(running, start=0)[1] if running.shape == \
        network.running.shape else None
    if variances is None or not np.all(np.isfinite(running)) or \
            any(v is not None and np.any(v < 0) for v in variances):
        raise ValueError("the batch norm statistics do not match the network or are not finite")
    if tracked.shape != network.tracked.shape or tracked.dtype.kind not in "iu" or \
            np.any(tracked < 0):
        raise ValueError("the batch norm batch counts do not match the network")
    return {"running": running, "tracked": tracked.astype(np.int64)}


def _like(state, params):
    if state.shape != params.shape or state.dtype.kind != "f" or not np.all(np.isfinite(state)):
        raise ValueError("the optimizer state does not match the weights")
    return state


def _dataset(x, y, c, points=None):
    if not np.all(np.isfinite(x)):
        raise ValueError("the stored inputs are not finite")
    if c["task"] == "classification":
        if len(y) and (y.min() < 0 or y.max() >= c["n_classes"]):
            raise ValueError("the stored class labels are malformed")
        y = y.astype(np.int64)
    elif not np.all(np.isfinite(y)):
        raise ValueError("the stored targets are not finite")
    if points is not None and not np.all(np.isfinite(points)):
        raise ValueError("the stored points are not finite")
    image = c["image"]
    return Dataset(x, y, c["task"], c["n_classes"], c["features"], c["targets"],
                   None if image is None else (int(image[0]), int(image[1])),
                   None if points is None else points.astype(float),
                   None if c["plane"] is None else tuple(c["plane"]))
