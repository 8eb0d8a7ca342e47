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
the session had never been saved.
"""

import io
import json
import math
import zipfile

import numpy as np

from gradstep.errors import GradstepError
from gradstep.files import atomic_write
from gradstep.history import History
from gradstep.lesson import FOCUS, Lesson
from gradstep.live import DEFAULT_PACE, parse_pace
from gradstep.model.spec import NetworkSpec
from gradstep.scenarios.data import Dataset
from gradstep.scenarios.features import check as check_features
from gradstep.settings import TrainingSettings
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


def save_session(path, trainer, lesson=None):
    """Write the trainer's whole state to `path` atomically, with its Lesson; or into `path`
    when it is a binary file object (session_bytes)."""
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
        atomic_write(path, lambda f: np.savez(f, **arrays))


def load_session(path):
    """(trainer, Lesson) from a session file; SessionError if it is not one."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
        return _build(arrays)
    except GradstepError as e:
        raise SessionError(f"{path}: {e}") from None
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, AttributeError,
            OverflowError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError,
            RuntimeError, NotImplementedError) as e:
        text = getattr(e, "strerror", None) or str(e)
        reason = text.splitlines()[0] if text else type(e).__name__
        raise SessionError(f"{path}: not a readable gradstep session ({reason})") from None


def _build(arrays):
    meta = json.loads(str(arrays["meta"][()]))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError("no gradstep-session metadata")
    if meta.get("version") not in READS:
        raise ValueError(f"session version {meta.get('version')!r}; this gradstep reads "
                         f"{', '.join(map(str, READS))}")
    n, d, t = dict(meta["network"]), meta["data"], meta["trainer"]
    if meta["version"] == 1:
        n["layers"], n["activation"] = n.pop("sizes"), n.pop("activations")
    rng_state = n.pop("rng_state")
    train, test = (_dataset(arrays[f"{s}_x"], arrays[f"{s}_y"], d, arrays.get(f"{s}_points"))
                   for s in ("train", "test"))
    if test.x.shape[1:] != train.x.shape[1:] or test.y.shape[1:] != train.y.shape[1:]:
        raise ValueError("the test split does not match the training split")
    network = NetworkSpec.from_mapping(n).build()
    params = arrays["params"]
    if params.shape != network.params.shape or params.dtype.kind != "f" \
            or not np.all(np.isfinite(params)):
        raise ValueError("the weights do not match the network's shape or are not finite")
    frozen = [None] * network.depth
    for l in meta["frozen_layers"]:
        mask = arrays[f"frozen_{l}"]
        if mask.dtype != bool or mask.shape != network.weights[l].shape:
            raise ValueError(f"frozen_{l} does not match layer {l}")
        frozen[l] = mask
    settings = TrainingSettings.from_mapping(meta["settings"])
    data_spec = meta.get("data_spec")
    if data_spec is not None and (not isinstance(data_spec, dict) or
                                  not all(isinstance(k, str) for k in data_spec)):
        raise ValueError("the stored [data] table is malformed")
    trainer = Trainer(network, train, test, settings, seed=t["seed"])
    opt = meta["optimizer"]
    state = None
    if opt["has_state"]:
        if opt["name"] == "momentum":
            state = _like(arrays["optimizer_buf"], params)
        elif opt["name"] == "adam":
            state = (_like(arrays["optimizer_m"], params), _like(arrays["optimizer_v"], params),
                     _count(opt["adam_steps"], "Adam's step count"))
    step_count = _count(t["step_count"], "the step count")
    epoch_count = _count(t["epoch_count"], "the epoch count")
    history = arrays["history"].astype(float)
    if history.ndim != 2 or history.shape[0] != len(History.COLUMNS):
        raise ValueError("the loss history has the wrong shape")
    steps = history[0]
    if not (np.all(np.isfinite(steps)) and np.all(np.diff(steps) >= 0)
            and (not len(steps) or 0 <= steps[0] and steps[-1] <= step_count)):
        raise ValueError("the loss history's steps are out of order or out of range")
    edits = meta["history"]["edits"]
    if not isinstance(edits, list) or not all(
            type(e) is int and 0 <= e <= step_count for e in edits):
        raise ValueError("the edits are not steps of this session")
    order = arrays.get("order")
    n_train = len(train)
    if order is not None and (order.shape != (n_train,) or
                              not np.array_equal(np.sort(order), np.arange(n_train))):
        raise ValueError("the epoch order does not match the data")
    position = int(t["position"])
    if not 0 <= position <= n_train:
        raise ValueError("the position in the epoch is out of range")
    if order is None and position < n_train:
        raise ValueError("the epoch under way has no order")
    losses = arrays.get("batch_loss")
    stride = int(meta["history"].get("loss_stride", 1))
    if stride < 1 or (losses is not None and losses.ndim != 1):
        raise ValueError("the mini-batch losses are malformed")
    sums, shapes = _sums(arrays, meta["history"], history.shape[1])
    full = History(history, losses, stride, meta["history"]["edits"], sums, shapes)
    network_snap = {**network.snapshot(), "params": params, "frozen": frozen,
                    "rng_state": rng_state, **_running(arrays, network)}
    last_loss = t["last_loss"]
    trainer.restore(Snapshot(
        network=network_snap, settings=settings, optimizer=(opt["name"], state),
        step_count=step_count, epoch_count=epoch_count, position=position,
        order=order, rng_state=t["rng_state"], diverged=bool(t["diverged"]),
        status=str(t["status"]), last_loss=math.nan if last_loss is None else float(last_loss),
        history=full, history_mark=full.mark()))
    trainer.data_spec = data_spec
    s = meta["scenario"]
    pace = s.get("pace", DEFAULT_PACE)
    pace = None if pace is None else parse_pace(pace)
    focus = tuple(f for f in s.get("focus", []) if f in FOCUS)
    return trainer, Lesson(str(s["name"]), str(s["title"]), str(s["description"]),
                           str(s.get("watch", "")), pace, focus)


def _sums(arrays, meta, rows):
    """The sums over time and the layer shapes they were of, or (None, ()) when absent."""
    if "sums" not in arrays:
        return None, ()
    sums, ids = arrays["sums"].astype(float), arrays["sum_shapes"]
    shapes = [tuple(int(n) for n in shape) for shape in meta.get("shapes", [])]
    if sums.ndim != 2 or sums.shape[0] != rows or ids.shape != (rows,) or \
            ids.dtype.kind not in "iu" or (rows and not 0 <= ids.min() <= ids.max() < len(shapes)):
        raise ValueError("the sums over time do not match the history")
    return (sums, ids), shapes


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


def _count(value, what):
    """A whole number of 0 or more from the metadata; ValueError otherwise."""
    if type(value) is not int or value < 0:
        raise ValueError(f"{what} is not a whole number of 0 or more")
    return value


def _like(state, params):
    if state.shape != params.shape or state.dtype.kind != "f" or not np.all(np.isfinite(state)):
        raise ValueError("the optimizer state does not match the weights")
    return state


def _dataset(x, y, d, points=None):
    if x.ndim != 2 or y.ndim < 1 or len(x) != len(y) or x.dtype.kind not in "fiu" \
            or not np.all(np.isfinite(x)):
        raise ValueError("the stored data is malformed")
    if d["task"] == "classification":
        if y.ndim != 1 or y.dtype.kind not in "iu" or (len(y) and (y.min() < 0 or
                                                                   y.max() >= d["n_classes"])):
            raise ValueError("the stored class labels are malformed")
    elif d["task"] != "regression" or y.ndim != 2 or y.dtype.kind not in "fiu" \
            or not np.all(np.isfinite(y)):
        raise ValueError("the stored targets are malformed")
    image = d.get("image")
    if image is not None and (len(image) != 2 or int(image[0]) * int(image[1]) != x.shape[1]):
        raise ValueError("the stored picture shape does not match the inputs")
    features = d.get("features")
    if points is not None and (points.shape != (len(x), 2) or not np.all(np.isfinite(points))):
        raise ValueError("the stored points do not match the data")
    if features is not None and (points is None or check_features(features) is None
                                 or len(features) != x.shape[1]):
        raise ValueError("the stored features do not match the data")
    return Dataset(x, y, d["task"], int(d["n_classes"]), tuple(d["feature_names"]),
                   tuple(d["target_names"]), None if image is None else
                   (int(image[0]), int(image[1])),
                   None if points is None else points.astype(float),
                   None if features is None else tuple(features))
