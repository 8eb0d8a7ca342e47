"""The workspace: what is open, undo and redo, runs as undo entries, saved or not, files (no
Textual). The app's keys are tested in tests/tui; what the keys do is tested here."""

import time

import numpy as np
import pytest

from gradstep.edits import ChangeSettings, Freeze, Reinitialize, Resize, SetWeight
from gradstep.errors import GradstepError
from gradstep.lesson import Lesson
from gradstep.scenarios import load_scenario
from gradstep.session import load_session
from gradstep.workspace import RUN, Workspace
from helpers import trainer


def circle() -> Workspace:
    return Workspace.from_scenario(load_scenario("circle"))


def state(ws):
    t = ws.trainer
    return (t.step_count, t.epoch_count, t.network.params.tobytes(), t.settings,
            tuple(t.network.sizes), t.diverged)


def wait(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_a_scenario_opens_with_its_lesson_and_nothing_to_undo_or_save():
    ws = circle()
    assert ws.lesson.name == "circle" and "Circle" in ws.lesson.title
    assert ws.path is None and not ws.unsaved and not ws.undo_stack.can_undo
    assert ws.stem == "circle"


def test_an_edit_is_one_undo_entry_and_undo_redo_are_exact():
    ws = circle()
    ws.step()
    before = state(ws)
    ws.apply(SetWeight(0, 1, 2, 0.75))
    after = state(ws)
    assert ws.undo_stack.labels()[-1] == "W0[x2→h3] = 0.75" and ws.unsaved
    assert ws.undo() == "W0[x2→h3] = 0.75" and state(ws) == before
    assert ws.redo() == "W0[x2→h3] = 0.75" and state(ws) == after
    assert ws.trainer.history.edits[-1] == ws.trainer.step_count  # the curve marks the move


def test_a_refused_edit_changes_nothing_and_leaves_no_entry():
    ws = circle()
    before, entries = state(ws), len(ws.undo_stack)
    with pytest.raises(GradstepError):
        ws.apply(Resize(3, 5))  # the output layer's size is the data's
    assert state(ws) == before and len(ws.undo_stack) == entries and not ws.unsaved


def test_steps_and_epochs_are_blocks_and_a_diverged_step_leaves_nothing():
    ws = circle()
    assert ws.step() and ws.undo_stack.labels() == ["a step"]
    assert ws.epoch() > 0 and ws.undo_stack.labels() == ["a step", "an epoch"]
    ws.trainer.diverged = True
    assert not ws.step() and ws.epoch() == 0
    assert ws.undo_stack.labels() == ["a step", "an epoch"]


def test_a_whole_run_is_one_entry_and_an_edit_during_it_splits_it():
    ws = circle()
    ws.run()
    wait(lambda: ws.trainer.step_count > 100)
    ws.apply(Freeze(0, 0, 0))
    steps = ws.trainer.step_count
    wait(lambda: ws.trainer.step_count > steps + 100)
    ws.pause()
    assert not ws.running
    assert ws.undo_stack.labels() == [RUN, "freeze W0[x1→h1]", RUN]
    ws.undo()
    assert ws.trainer.step_count == steps and ws.trainer.network.is_frozen(0, 0, 0)


def test_a_run_that_takes_no_step_leaves_no_entry():
    ws = circle()
    ws.trainer.diverged = True  # the run ends by itself at once
    stopped = []
    ws.on_run_stopped = stopped.append
    ws.run()
    wait(lambda: not ws.running)
    ws.run_stopped()
    assert not ws.undo_stack.can_undo
    ws.trainer.diverged = False
    ws.live.set_pace(0.001)
    ws.run()   # paused before its first step is due... the first step is due at once
    ws.pause()
    assert ws.undo_stack.labels() in ([], [RUN])
    assert (ws.undo_stack.labels() == [RUN]) == (ws.trainer.step_count > 0)


def test_undo_while_running_pauses_first():
    ws = circle()
    ws.run()
    wait(lambda: ws.trainer.step_count > 50)
    assert ws.undo() == RUN
    assert not ws.running and ws.trainer.step_count == 0


def test_unsaved_follows_changes_saves_and_runs(tmp_path):
    ws = circle()
    ws.step()
    assert ws.unsaved
    path = ws.save(tmp_path / "c")
    assert path.name == "c.gradstep.npz" and ws.path == path and not ws.unsaved
    ws.run()
    assert ws.unsaved  # a run going on is never saved
    ws.pause()
    assert ws.unsaved
    ws.save()  # the same file, no name needed
    assert not ws.unsaved
    trainer_, lesson = load_session(path)
    assert trainer_.step_count == ws.trainer.step_count and lesson == ws.lesson


def test_save_needs_a_name_the_first_time_and_refuses_bad_ones(tmp_path):
    ws = circle()
    with pytest.raises(GradstepError, match="no file name"):
        ws.save()
    for bad in ("", str(tmp_path), str(tmp_path / "none" / "x.npz")):
        with pytest.raises(GradstepError):
            ws.save(bad)
    assert ws.path is None and not list(tmp_path.iterdir())


def test_opening_replaces_everything_and_clears_undo(tmp_path):
    ws = circle()
    ws.run()
    wait(lambda: ws.trainer.step_count > 10)
    other = Workspace(trainer((3, 4, 1)), Lesson("mine", "Mine", "text"))
    other.step()
    other.save(tmp_path / "mine.gradstep.npz")
    ws.open_session(str(tmp_path / "mine.gradstep.npz"))
    assert not ws.running and ws.trainer.step_count == 1 and ws.lesson.title == "Mine"
    assert ws.path == tmp_path / "mine.gradstep.npz" and not ws.undo_stack.can_undo
    assert not ws.unsaved and ws.live.target is ws.trainer
    ws.open_scenario("grades")
    assert ws.lesson.name == "grades" and ws.path is None and ws.trainer.network.sizes == [5, 1]


def test_a_bad_session_or_scenario_changes_nothing(tmp_path):
    ws = circle()
    ws.step()
    before = state(ws)
    (tmp_path / "junk.npz").write_text("not a session")
    for open_, name in ((ws.open_session, str(tmp_path / "junk.npz")),
                        (ws.open_session, str(tmp_path / "missing.npz")),
                        (ws.open_session, str(tmp_path)), (ws.open_scenario, "nosuch")):
        with pytest.raises(GradstepError):
            open_(name)
        assert state(ws) == before and ws.lesson.name == "circle"


def test_exports_and_loading_weights_back_is_one_undo_entry(tmp_path):
    ws = circle()
    ws.epoch()
    weights = ws.export("weights", tmp_path / "w.json")
    loss = ws.export("loss", tmp_path / "loss.csv")
    assert '"weights"' in weights.read_text() and loss.read_text().startswith("step,")
    exported = ws.trainer.network.params.copy()
    ws.apply(Reinitialize())
    reset = state(ws)
    ws.load_weights(str(weights))
    np.testing.assert_array_equal(ws.trainer.network.params, exported)
    assert ws.undo() == "load weights from w.json" and state(ws) == reset
    (tmp_path / "bad.json").write_text('{"weights": [[1, 2]]}')
    with pytest.raises(GradstepError, match="shapes"):
        ws.load_weights(str(tmp_path / "bad.json"))
    assert state(ws) == reset


def test_a_diverging_run_calls_back_and_its_entry_stays(tmp_path):
    t = trainer((3, 8, 1), activations="relu", learning_rate=1e5, batch_size=40)
    ws = Workspace(t, Lesson("boom"))
    calls = []
    ws.on_run_stopped = calls.append
    ws.run()
    wait(lambda: calls)
    ws.run_stopped()
    assert calls == [True] and t.diverged
    assert ws.undo_stack.labels() == [RUN]  # it took steps before it blew up


def test_the_network_exports_for_other_tools_from_the_app_too(tmp_path):
    from safetensors.numpy import load_file

    ws = circle()
    ws.epoch()
    onnx = ws.export("onnx", tmp_path / "c.onnx")
    tensors = load_file(str(ws.export("safetensors", tmp_path / "c.safetensors")))
    np.testing.assert_array_equal(tensors["0.weight"], ws.trainer.network.weights[0].T)
    import onnxruntime
    session = onnxruntime.InferenceSession(str(onnx))
    x = ws.trainer.raw_test.x[:5]
    out = session.run(None, {session.get_inputs()[0].name: x.astype(np.float64)})[0]
    np.testing.assert_allclose(out, ws.trainer.predict(x), atol=1e-12)
    with pytest.raises(GradstepError, match="unknown export"):
        ws.export("pdf", tmp_path / "c.pdf")


# ---- two networks in one session file -------------------------------------------------------

def pair_workspace() -> Workspace:
    """circle with B beside it: B learns ten times faster, so the two differ."""
    ws = circle()
    ws.toggle_compare()
    ws.switch()
    ws.apply(ChangeSettings({"learning_rate": ws.trainer.settings.learning_rate * 10}))
    ws.switch()
    ws.epoch()
    return ws


def both(ws):
    return [(t.step_count, t.network.params.tobytes(), t.settings, t.history.size)
            for t in ws.trainers]


def test_a_session_keeps_both_networks_and_they_train_on_as_before(tmp_path):
    ws = pair_workspace()
    path = ws.save(tmp_path / "pair")
    assert not ws.unsaved
    opened = Workspace.from_session(path)
    assert opened.comparing and opened.compare_title == ws.compare_title
    assert both(opened) == both(ws)
    assert opened.trainers[1].settings.learning_rate == 10 * opened.trainers[0].settings.learning_rate
    assert load_session(path)[0].network.params.tobytes() == ws.trainers[0].network.params.tobytes()
    ws.epoch()
    opened.epoch()  # the next epoch, A and B in lockstep, as if never saved
    assert both(opened) == both(ws)


def test_a_session_with_b_opened_over_one_without_and_undo_after(tmp_path):
    ws = pair_workspace()
    path = ws.save(tmp_path / "pair")
    alone = circle()
    alone.open_session(str(path))
    assert alone.comparing and both(alone) == both(ws) and not alone.unsaved
    alone.toggle_compare()  # B removed: the session is unsaved, and undo brings B back
    assert not alone.comparing and alone.unsaved
    alone.undo()
    assert alone.comparing and both(alone) == both(ws)


def test_save_bytes_hold_b_too(tmp_path):
    ws = pair_workspace()
    data, _ = ws.save_bytes()
    (tmp_path / "d.gradstep.npz").write_bytes(data)
    assert both(Workspace.from_session(tmp_path / "d.gradstep.npz")) == both(ws)


def test_a_session_of_a_alone_has_no_b(tmp_path):
    ws = circle()
    ws.epoch()
    opened = Workspace.from_session(ws.save(tmp_path / "alone"))
    assert not opened.comparing and both(opened) == both(ws)
