"""Session files: a whole playground session, saved and loaded without pickle.

Format: a numpy `.npz` archive (read with allow_pickle=False) holding plain numeric arrays and
one JSON document, `meta`, that describes them:

  meta            JSON (a 0-d unicode array): format "gradstep-session", version 1, the scenario
                  (name, title, description), the network's shape and options, the training
                  settings, counters, random-generator states, and the data's names
  params          every weight matrix (row-major, [i][j]) then every bias vector, one flat array
  frozen_<l>      bool mask of layer l's frozen weights (only layers with any)
  optimizer_buf   momentum buffer | optimizer_m, optimizer_v: Adam's moments
  order           the current epoch's shuffle of the training split
  history         5 × n: step, epoch, train_loss, test_loss, accuracy
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
from gradstep.model import Network
from gradstep.scenarios.data import Dataset
from gradstep.training import History, Snapshot, Trainer, TrainingSettings

FORMAT, VERSION = "gradstep-session", 1
SUFFIX = ".gradstep.npz"


class SessionError(GradstepError):
    """A session file that cannot be read; the message names the file."""


def save_session(path, trainer, scenario=None):
    """Write the trainer's whole state to `path` atomically. scenario: (name, title, description)."""
    snap = trainer.snapshot()
    net = snap.network
    name, title, description = scenario or ("", "", "")
    arrays = {"params": net["params"], "history": snap.history._data[:, :snap.history_size]}
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
    meta = {
        "format": FORMAT, "version": VERSION,
        "scenario": {"name": name, "title": title, "description": description},
        "network": {k: net[k] for k in ("sizes", "activations", "output", "bias", "init",
                                        "seed", "constraint", "dtype", "rng_state")},
        "frozen_layers": frozen_layers,
        "settings": {k: getattr(snap.settings, k) for k in TrainingSettings.__dataclass_fields__},
        "optimizer": {"name": opt_name, "has_state": state is not None, "adam_steps": adam_steps},
        "trainer": {"seed": trainer.seed, "step_count": snap.step_count,
                    "epoch_count": snap.epoch_count, "position": snap.position,
                    "rng_state": snap.rng_state, "diverged": snap.diverged,
                    "status": snap.status,
                    "last_loss": None if math.isnan(snap.last_loss) else snap.last_loss},
        "history": {"edits": list(snap.edits)},
        "data": {"task": trainer.raw_train.task, "n_classes": trainer.raw_train.n_classes,
                 "feature_names": list(trainer.raw_train.feature_names),
                 "target_names": list(trainer.raw_train.target_names)},
    }
    arrays["meta"] = np.array(json.dumps(meta))
    atomic_write(path, lambda f: np.savez(f, **arrays))


def load_session(path):
    """(trainer, (name, title, description)) from a session file; SessionError if it is not one."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
        return _build(arrays)
    except GradstepError as e:
        raise SessionError(f"{path}: {e}") from None
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, AttributeError,
            OverflowError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as e:
        text = getattr(e, "strerror", None) or str(e)
        reason = text.splitlines()[0] if text else type(e).__name__
        raise SessionError(f"{path}: not a readable gradstep session ({reason})") from None


def _build(arrays):
    meta = json.loads(str(arrays["meta"][()]))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError("no gradstep-session metadata")
    if meta.get("version") != VERSION:
        raise ValueError(f"session version {meta.get('version')!r}; this gradstep reads {VERSION}")
    n, d, t = meta["network"], meta["data"], meta["trainer"]
    train, test = (_dataset(arrays[f"{s}_x"], arrays[f"{s}_y"], d) for s in ("train", "test"))
    if test.x.shape[1:] != train.x.shape[1:] or test.y.shape[1:] != train.y.shape[1:]:
        raise ValueError("the test split does not match the training split")
    network = Network(n["sizes"], n["activations"], n["output"], bias=n["bias"], init=n["init"],
                      seed=n["seed"], constraint=n["constraint"], dtype=n["dtype"])
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
    settings = TrainingSettings(**meta["settings"])
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
    full = History()
    for row in history.T:
        full.append(*row)
    network_snap = {**n, "params": params, "frozen": frozen}
    last_loss = t["last_loss"]
    trainer.restore(Snapshot(
        network=network_snap, settings=settings, optimizer=(opt["name"], state),
        step_count=step_count, epoch_count=epoch_count, position=position,
        order=order, rng_state=t["rng_state"], diverged=bool(t["diverged"]),
        status=str(t["status"]), last_loss=math.nan if last_loss is None else float(last_loss),
        history=full, history_size=full.size, edits=tuple(edits)))
    s = meta["scenario"]
    return trainer, (str(s["name"]), str(s["title"]), str(s["description"]))


def _count(value, what):
    """A whole number of 0 or more from the metadata; ValueError otherwise."""
    if type(value) is not int or value < 0:
        raise ValueError(f"{what} is not a whole number of 0 or more")
    return value


def _like(state, params):
    if state.shape != params.shape or state.dtype.kind != "f" or not np.all(np.isfinite(state)):
        raise ValueError("the optimizer state does not match the weights")
    return state


def _dataset(x, y, d):
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
    return Dataset(x, y, d["task"], int(d["n_classes"]), tuple(d["feature_names"]),
                   tuple(d["target_names"]))
