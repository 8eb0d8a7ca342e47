"""What a browser may read and what it receives (no browser here): the --root policy
(files.Reads), download names, and the workspace's files rendered without being written."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest

from gradstep.errors import GradstepError
from gradstep.files import ANYWHERE, Reads, download_name
from gradstep.scenarios import load_scenario
from gradstep.session import load_session, save_session, session_bytes
from gradstep.workspace import Workspace


def circle() -> Workspace:
    return Workspace.from_scenario(load_scenario("circle"))


@pytest.fixture
def served(tmp_path):
    """A served folder with a session, a sub-folder, and things that lead outside it."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "secret.gradstep.npz"
    ws = circle()
    ws.step()
    save_session(root / "mine.gradstep.npz", ws.trainer, ws.lesson)
    save_session(root / "sub" / "deep.gradstep.npz", ws.trainer, ws.lesson)
    save_session(outside, ws.trainer, ws.lesson)
    (root / "out-link.gradstep.npz").symlink_to(outside)
    (root / "dir-link").symlink_to(tmp_path)
    (root / "in-link.gradstep.npz").symlink_to(root / "mine.gradstep.npz")
    os.mkfifo(root / "fifo.npz")
    return root


def refused(reads: Reads, text: str) -> str:
    with pytest.raises(GradstepError) as caught:
        reads.path(text)
    return str(caught.value)


def test_under_a_root_only_files_inside_it_are_read(served):
    reads = Reads.under(served)
    assert reads.path("mine.gradstep.npz") == served / "mine.gradstep.npz"
    assert reads.path(" sub/deep.gradstep.npz ") == served / "sub" / "deep.gradstep.npz"
    assert reads.path("in-link.gradstep.npz") == served / "mine.gradstep.npz"  # a link inside
    assert "'..' is not allowed" in refused(reads, "../secret.gradstep.npz")
    assert "'..' is not allowed" in refused(reads, "sub/../mine.gradstep.npz")
    assert "leads outside" in refused(reads, "out-link.gradstep.npz")
    assert "leads outside" in refused(reads, "dir-link/secret.gradstep.npz")
    assert "relative to it" in refused(reads, str(served / "mine.gradstep.npz"))
    assert "relative to it" in refused(reads, "/etc/passwd")
    assert "does not exist" in refused(reads, "nope.npz")
    assert "folder" in refused(reads, "sub")
    assert "not a regular file" in refused(reads, "fifo.npz")  # and nothing blocks on it
    assert "type a file name" in refused(reads, "  ")
    assert "type a file name" in refused(reads, "a\0b")


def test_messages_under_a_root_never_show_the_servers_paths(served):
    reads = Reads.under(served)
    for text in ["../x", "out-link.gradstep.npz", "nope.npz", "sub", "fifo.npz", "~/x"]:
        assert str(served) not in refused(reads, text)
    assert reads.shown(served / "sub" / "deep.gradstep.npz") == "sub/deep.gradstep.npz"
    assert reads.hide(f"{served}/sub/x.npz: bad; {served} too") == "sub/x.npz: bad; . too"


def test_without_a_root_nothing_is_read_and_a_terminal_reads_anywhere(served):
    nowhere = Reads.under(None)
    assert "--root" in nowhere.refusal
    assert "--root" in refused(nowhere, "mine.gradstep.npz")
    assert ANYWHERE.refusal is None
    assert ANYWHERE.path(served / "mine.gradstep.npz") == served / "mine.gradstep.npz"
    outside = served.parent / "secret.gradstep.npz"
    assert ANYWHERE.path(str(outside)) == outside


def test_the_workspace_opens_and_loads_weights_only_where_reads_allows(served):
    ws = circle()
    ws.reads = Reads.under(served)
    assert ws.open_session("sub/deep.gradstep.npz") == served / "sub" / "deep.gradstep.npz"
    assert ws.trainer.step_count == 1
    for bad in ["../secret.gradstep.npz", "out-link.gradstep.npz"]:
        with pytest.raises(GradstepError):
            ws.open_session(bad)
    (served / "broken.gradstep.npz").write_bytes(b"not a session")
    with pytest.raises(GradstepError) as caught:
        ws.open_session("broken.gradstep.npz")
    assert str(caught.value).startswith("broken.gradstep.npz: not a readable gradstep session")
    assert str(served) not in str(caught.value)
    (served / "w.json").write_text(json.dumps({"weights": [[[1.0]]]}))
    with pytest.raises(GradstepError) as caught:
        ws.load_weights("w.json")
    assert str(caught.value).startswith("w.json: ") and str(served) not in str(caught.value)
    ws.reads = Reads.under(None)
    with pytest.raises(GradstepError, match="--root"):
        ws.load_weights("w.json")


@pytest.mark.parametrize("text, suffix, name", [
    ("mine", ".gradstep.npz", "mine.gradstep.npz"),
    ("mine.npz", ".gradstep.npz", "mine.npz"),
    ("../../etc/passwd", ".json", "passwd.json"),
    ("C:\\Users\\x\\w.json", ".json", "w.json"),
    ("  .hidden.csv", ".csv", "hidden.csv"),
    ("my run; \"final\".svg", ".svg", "my_run_final_.svg"),
    ("résumé.json", ".json", "r_sum_.json"),
    ("x" * 300, ".csv", "x" * 120 + ".csv"),
])
def test_download_names_are_plain_and_get_their_suffix(text, suffix, name):
    assert download_name(text, suffix) == name


@pytest.mark.parametrize("text", ["", "   ", "/", "..", "¿¿¿", "a/"])
def test_download_names_with_nothing_usable_are_refused(text):
    with pytest.raises(GradstepError, match="not a file name"):
        download_name(text, ".json")


def test_save_bytes_is_the_session_file_and_marks_saved_only_when_asked(tmp_path):
    ws = circle()
    ws.step()
    assert ws.unsaved
    data, state = ws.save_bytes()
    assert not list(tmp_path.iterdir()) and ws.unsaved  # written nowhere, not saved yet
    (tmp_path / "s.gradstep.npz").write_bytes(data)
    trainer, lesson = load_session(tmp_path / "s.gradstep.npz")
    assert trainer.step_count == 1 and lesson == ws.lesson
    assert np.array_equal(trainer.network.params, ws.trainer.network.params)
    ws.step()               # a change after the bytes were made ...
    ws.mark_saved(state)    # ... stays unsaved once the download arrives
    assert ws.unsaved
    ws.mark_saved(ws.save_bytes()[1])
    assert not ws.unsaved
    saved = tmp_path / "same.gradstep.npz"
    save_session(saved, ws.trainer, ws.lesson)
    assert session_bytes(ws.trainer, ws.lesson) == saved.read_bytes()


def test_export_bytes_are_what_export_writes(tmp_path):
    ws = circle()
    ws.epoch()
    for kind in ("weights", "loss"):
        path = ws.export(kind, tmp_path / f"{kind}.out")
        assert ws.export_bytes(kind) == path.read_bytes()
    assert ws.export_bytes("screenshot", "<svg>é</svg>") == "<svg>é</svg>".encode()
    assert json.load(io.BytesIO(ws.export_bytes("weights")))["layers"] == [2, 4, 2, 1]
