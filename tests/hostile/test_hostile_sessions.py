"""Crafted session files: every one is refused with one SessionError line (exit 2 on the
command line), before any array it describes is allocated, and the app never sees it."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
import pytest

from gradstep.session import SessionError, load_session, save_session
from gradstep.scenarios import load_scenario
from hostile_tools import run_measured

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """The members of a real session: {name: array}, meta as a dict."""
    path = tmp_path_factory.mktemp("good") / "s.npz"
    trainer = load_scenario("xor").build()
    trainer.change_settings(optimizer="adam")
    trainer.run(steps=30)
    save_session(path, trainer)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays.pop("meta")[()]))
    return arrays, meta


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=True)
    return buffer.getvalue()


def header_only(shape, descr="<f8", version=1) -> bytes:
    """An .npy header that promises `shape` and no data after it."""
    text = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(text) - 2) + text[:-2]


def pack(path, members: dict, method=zipfile.ZIP_STORED):
    """A zip of {name: bytes | array | meta dict | meta text}, as np.savez lays it out."""
    with zipfile.ZipFile(path, "w", method) as z:
        for name, value in members.items():
            if isinstance(value, dict):
                value = np.array(json.dumps(value))
            elif isinstance(value, str):
                value = np.array(value)
            data = value if isinstance(value, bytes) else npy(value)
            info = zipfile.ZipInfo(name if name.endswith(".npy") or "." in name else name + ".npy")
            info.compress_type = method
            z.writestr(info, data)
    return path


def session(tmp_path, good, meta=None, drop=(), name="c.npz", **replace):
    arrays, good_meta = good
    members = {"meta": meta if meta is not None else good_meta}
    members.update({k: v for k, v in arrays.items() if k not in drop})
    members.update(replace)
    return pack(tmp_path / name, members)


def refused(path) -> str:
    with pytest.raises(SessionError) as info:
        load_session(path)
    message = str(info.value)
    assert "\n" not in message and str(path.name) in message
    assert "\x1b" not in message
    return message


def patched(meta, path: str, value):
    """A deep copy of meta with meta[a][b]... = value (path "a.b")."""
    meta = json.loads(json.dumps(meta))
    *parents, last = path.split(".")
    node = meta
    for key in parents:
        node = node[key]
    node[last] = value
    return meta


def meta_text(meta, path: str, raw: str) -> str:
    """The meta as JSON text with one value replaced by raw JSON text (numbers too long to
    write from Python, nesting too deep)."""
    marker = "__RAW__"
    return json.dumps(patched(meta, path, marker)).replace(f'"{marker}"', raw)


def test_the_good_session_loads(tmp_path, good):
    trainer, _ = load_session(session(tmp_path, good))
    trainer.run(steps=3)


META_CASES = {
    "400-digit counter": ("trainer.step_count", "1" + "0" * 400),
    "4301-digit counter": ("trainer.step_count", "9" * 4301),
    "100,000 nested [": ("scenario.title", "[" * 100_000 + "]" * 100_000),
    "deep meta": ("scenario.title", '{"a":' * 5000 + "1" + "}" * 5000),
    "counter 1e400": ("trainer.step_count", "1e400"),
    "adam steps 1e400": ("optimizer.adam_steps", "1e400"),
    "adam steps 0": ("optimizer.adam_steps", "0"),
    "negative counter": ("trainer.epoch_count", "-3"),
    "position past the data": ("trainer.position", "100000"),
    "rng state -1": ("trainer.rng_state.state.state", "-1"),
    "rng state 1e60": ("trainer.rng_state.state.state", "1" + "0" * 60),
    "rng increment 1e60": ("network.rng_state.state.inc", "1" + "0" * 60),
    "rng not PCG64": ("trainer.rng_state.bit_generator", '"MT19937"'),
    "rng a list": ("trainer.rng_state", "[1, 2]"),
    "seed -1": ("trainer.seed", "-1"),
    "seed a string": ("trainer.seed", '"0"'),
    "optimizer adam, settings sgd": ("settings.optimizer", '"sgd"'),
    "optimizer name junk": ("optimizer.name", '"rmsprop"'),
    "has_state a string": ("optimizer.has_state", '"yes"'),
    "diverged a number": ("trainer.diverged", "2"),
    "status a list": ("trainer.status", "[1]"),
    "last loss a string": ("trainer.last_loss", '"low"'),
    "task junk": ("data.task", '"clustering"'),
    "classes 1": ("data.n_classes", "1"),
    "classes 1e6": ("data.n_classes", "1000000"),
    "feature names short": ("data.feature_names", '["x1"]'),
    "frozen layer 99": ("frozen_layers", "[99]"),
    "frozen layers twice": ("frozen_layers", "[0, 0]"),
    "edits not a list": ("history.edits", "5"),
    "edit step -1": ("history.edits", "[-1]"),
    "loss stride 0": ("history.loss_stride", "0"),
    "layers a string": ("network.layers", '"2,4,1"'),
    "layers 10^6 wide": ("network.layers", "[2, 1000000, 1]"),
    "layers too many parameters": ("network.layers", "[2, 100000, 100000, 1]"),
    "unknown network key": ("network.extra", "1"),
    "settings batch 0": ("settings.batch_size", "0"),
    "version 99": ("version", "99"),
    "version true": ("version", "true"),
    "format junk": ("format", '"zip"'),
    "title nan": ("scenario.title", "NaN"),
}


META_CASES["too many parameters"] = [("network.layers", "[2, 1500, 1500, 1]"),
                                     ("network.activation", '["tanh", "tanh"]')]


@pytest.mark.parametrize("case", list(META_CASES))
def test_crafted_meta_is_refused(tmp_path, good, refuse, case):
    changes = META_CASES[case]
    text = json.dumps(good[1])
    for where, raw in changes if isinstance(changes, list) else [changes]:
        text = meta_text(json.loads(text), where, raw)  # raw JSON: numbers json would not write
    path = session(tmp_path, good, meta=text)
    refused(path)
    refuse("train", path)


ARRAY_CASES = {  # a = the good arrays: each case replaces some of them
    "regression targets of rank 1": lambda a: {"train_y": np.zeros(len(a["train_x"]))},
    "labels of rank 2": lambda a: {"train_y": a["train_y"][:, None]},
    "labels out of range": lambda a: {"train_y": np.full_like(a["train_y"], 7)},
    "labels negative": lambda a: {"train_y": np.full_like(a["train_y"], -1)},
    "labels as floats": lambda a: {"train_y": a["train_y"].astype(float)},
    "inputs of rank 3": lambda a: {"train_x": a["train_x"][:, :, None]},
    "inputs of the wrong width": lambda a: {"train_x": np.zeros((len(a["train_x"]), 3))},
    "inputs not finite": lambda a: {"train_x": np.full_like(a["train_x"], np.inf)},
    "test inputs not finite": lambda a: {"test_x": np.full_like(a["test_x"], np.nan)},
    "complex inputs": lambda a: {"train_x": a["train_x"].astype(complex)},
    "text inputs": lambda a: {"train_x": a["train_x"].astype(str)},
    "datetime inputs": lambda a: {"train_x": np.zeros(a["train_x"].shape, "M8[s]")},
    "no training rows": lambda a: {"train_x": a["train_x"][:0], "train_y": a["train_y"][:0]},
    "structured params": lambda a: {"params": np.zeros(len(a["params"]), [("a", "<f8")])},
    "params too short": lambda a: {"params": a["params"][:3]},
    "params not finite": lambda a: {"params": np.full_like(a["params"], np.nan)},
    "params as ints": lambda a: {"params": a["params"].astype(int)},
    "adam state of the wrong shape": lambda a: {"optimizer_m": a["optimizer_m"][:4]},
    "adam state not finite": lambda a: {"optimizer_v": np.full_like(a["optimizer_v"], np.inf)},
    "adam state missing": lambda a: {"optimizer_v": None},
    "momentum buffer under adam": lambda a: {"optimizer_buf": a["optimizer_m"]},
    "order not a permutation": lambda a: {"order": np.zeros_like(a["order"])},
    "order of the wrong length": lambda a: {"order": a["order"][:-1]},
    "history of the wrong shape": lambda a: {"history": np.zeros((3, 4))},
    "batch losses of rank 2": lambda a: {"batch_loss": a["batch_loss"][:, None]},
    "a frozen mask not in the meta": lambda a: {"frozen_1": np.zeros((4, 1), bool)},
    "pickled meta": lambda a: {"meta": np.array([{"format": "gradstep-session"}], dtype=object)},
    "meta as a number": lambda a: {"meta": np.float64(3)},
    "meta a list": lambda a: {"meta": np.array(json.dumps([1, 2]))},
    "meta over 16 MB": lambda a: {"meta": header_only((), "<U5000000")},
    "an unexpected member": lambda a: {"notes": np.zeros(3)},
    "a path as member name": lambda a: {"../../etc/passwd": b"x"},
}


@pytest.mark.parametrize("case", list(ARRAY_CASES))
def test_crafted_arrays_are_refused(tmp_path, good, refuse, case):
    arrays, meta = good
    changes = ARRAY_CASES[case](arrays)
    dropped = [k for k, v in changes.items() if v is None]
    path = session(tmp_path, good, drop=dropped,
                   **{k: v for k, v in changes.items() if v is not None})
    refused(path)
    refuse("train", path)


def test_a_frozen_mask_of_floats_is_refused(tmp_path, good):
    meta = patched(good[1], "frozen_layers", [0])
    shape = tuple(good[1]["network"]["layers"][:2])
    refused(session(tmp_path, good, meta=meta, frozen_0=np.zeros(shape)))
    assert load_session(session(tmp_path, good, meta=meta, name="ok.npz",
                                frozen_0=np.eye(*shape, dtype=bool)))[0].network.is_frozen(0, 0, 0)


@pytest.mark.parametrize("case", ["no params", "no meta", "no train_x", "no history"])
def test_missing_members_are_refused(tmp_path, good, case):
    name = case.split()[1]
    arrays, meta = good
    members = {"meta": meta, **arrays}
    del members[name]
    refused(pack(tmp_path / "m.npz", members))


def patch_headers(path, local: int, central: int, value: int) -> None:
    """Set a 2-byte field of every local header and central directory entry."""
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        at = raw.find(signature)
        while at >= 0:
            raw[at + offset:at + offset + 2] = struct.pack("<H", value)
            at = raw.find(signature, at + 4)
    path.write_bytes(bytes(raw))


def test_encrypted_members_are_refused(tmp_path, good):
    arrays, meta = good
    path = pack(tmp_path / "e.npz", {"meta": meta, **arrays})
    patch_headers(path, 6, 8, 0x1)  # the general-purpose flags: bit 0, encrypted
    assert "encrypted" in refused(path)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, 6, 99])
def test_other_compression_methods_are_refused(tmp_path, good, method):
    arrays, meta = good
    path = pack(tmp_path / "c.npz", {"meta": meta, **arrays})
    patch_headers(path, 8, 10, method)
    assert "compression method" in refused(path)


def test_deflated_sessions_load(tmp_path, good):
    arrays, meta = good
    trainer, _ = load_session(pack(tmp_path / "d.npz", {"meta": meta, **arrays},
                                   zipfile.ZIP_DEFLATED))
    assert trainer.step_count == 30


@pytest.mark.parametrize("header", [
    b"\x93NUMPY\x01\x00\x30\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,",
    b"\x93NUMPY\x01\x00\x30\x00" + b"(" * 48,
    b"\x93NUMPY\x09\x00\x10\x00{}              ",
    b"\x93NUMPY\x01\x00\xff\xff" + b" " * 100,
    b"not numpy at all",
    b"",
])
def test_malformed_npy_headers_are_refused(tmp_path, good, header):
    refused(session(tmp_path, good, params=header))


def test_many_members_are_refused_before_zipfile_reads_them(tmp_path, good):
    arrays, meta = good
    path = tmp_path / "many.npz"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(5000):
            z.writestr(f"frozen_{i}.npy", b"")
    assert "members" in refused(path)


def test_zip64_directories_are_read(tmp_path, good):
    arrays, meta = good
    path = tmp_path / "z64.npz"
    with zipfile.ZipFile(path, "w") as z:
        for name, value in {"meta": np.array(json.dumps(meta)), **arrays}.items():
            with z.open(name + ".npy", "w", force_zip64=True) as f:
                f.write(npy(value))
    assert load_session(path)[0].step_count == 30


# --- members that promise more than the budget: refused from their headers -------------------


HUGE = {
    "a 6 GB unused member": {"spare": header_only((750_000_000,))},
    "a 6 GB batch_loss": {"batch_loss": header_only((750_000_000,))},
    "10^12 training rows": {"train_x": header_only((10**12, 2)),
                            "train_y": header_only((10**12,), "<i8"),
                            "train_points": header_only((10**12, 2)),
                            "order": header_only((10**12,), "<i8")},
    "10^12 history rows": {"history": header_only((5, 10**12))},
    "a 6 GB meta": {"meta": header_only((), "<U1500000000")},
    "10^12 rows, version 2 header": {"train_x": header_only((10**12, 2), version=2),
                                     "train_y": header_only((10**12,), "<i8", version=2),
                                     "train_points": header_only((10**12, 2), version=2),
                                     "order": header_only((10**12,), "<i8", version=2)},
    "10^9 test rows": {"test_x": header_only((10**9, 2)), "test_y": header_only((10**9,), "<i8"),
                       "test_points": header_only((10**9, 2))},
}


@pytest.mark.parametrize("case", list(HUGE))
def test_huge_promises_are_refused_before_allocation(tmp_path, good, case):
    path = session(tmp_path, good, **HUGE[case])
    message = refused(path)
    status, out, err, peak = run_measured("train", path, address_space=1_500_000_000)
    assert status == 2 and err.startswith("gradstep: error: ") and "Traceback" not in err
    assert "out of memory" not in err and peak < 300_000_000, (err, peak)
    if "rows" in case and "history" not in case:
        assert "memory budget is 1 GB" in message


def test_a_compressed_bomb_is_refused_by_its_header(tmp_path, good):
    """A small file whose member inflates to 800 MB: its header asks more than the budget."""
    arrays, meta = good
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("meta.npy", npy(np.array(json.dumps(meta))))
        for name, value in arrays.items():
            if name != "batch_loss":
                z.writestr(name + ".npy", npy(value))
        with z.open("batch_loss.npy", "w") as f:
            f.write(header_only((100_000_000,)))
            chunk = bytes(8_000_000)
            for _ in range(100):
                f.write(chunk)
    assert path.stat().st_size < 2_000_000
    refused(path)
    status, out, err, peak = run_measured("train", path, address_space=1_500_000_000)
    assert status == 2 and peak < 300_000_000, (err, peak)


def test_a_session_just_inside_the_budget_loads_and_one_past_is_refused(tmp_path, good,
                                                                           monkeypatch):
    arrays, meta = good
    rows = 400_000
    x = np.random.default_rng(0).normal(size=(rows, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    big = {"train_x": x, "train_y": y, "order": np.arange(rows), "train_points": x}
    path = session(tmp_path, good, **big)
    load_session(path)  # ~60 MB of data: well inside 1 GB
    monkeypatch.setenv("GRADSTEP_MEMORY_BUDGET", "100MB")
    assert "memory budget is 100 MB" in refused(path)


def test_regression_targets_of_the_wrong_rank(tmp_path, refuse):
    """A plane session whose targets are (n,) instead of (n, 1): a matmul ValueError in
    training, a LinAlgError in the app's least-squares readout, before the checks."""
    path = tmp_path / "p.npz"
    save_session(path, load_scenario("plane").build())
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    for name, y in (("train_y", arrays["train_y"][:, 0]),
                    ("train_y", np.repeat(arrays["train_y"], 2, axis=1)),
                    ("test_y", arrays["test_y"][:, 0])):
        bad = pack(tmp_path / "bad.npz", {**arrays, name: y})
        refused(bad)
        refuse("train", bad)
