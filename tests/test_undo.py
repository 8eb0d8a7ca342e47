"""Undo/redo of a trainer: every kind of change goes back exactly, and training goes on from an
undo as if the change had never been made."""

import numpy as np
import pytest

from gradstep.errors import GradstepError
from gradstep.undo import UndoStack
from gradstep.edits import ChangeSettings, LoadWeights, Freeze, InsertLayer, RemoveLayer, Resize, SetActivation, SetBias, SetWeight
from helpers import classes, trainer


def state(t):
    """Everything a person could see or that decides the next step, comparable with ==."""
    net = t.network
    opt = t.optimizer.state
    if isinstance(opt, tuple):
        opt = tuple(a.tobytes() if isinstance(a, np.ndarray) else a for a in opt)
    elif isinstance(opt, np.ndarray):
        opt = opt.tobytes()
    return dict(
        params=net.params.tobytes(), dtype=net.dtype.name, sizes=list(net.sizes),
        activations=list(net.activations), output=net.output, constraint=net.constraint,
        frozen=[None if f is None else f.tobytes() for f in net.frozen],
        settings=t.settings, optimizer=(t.optimizer.name, opt),
        steps=(t.step_count, t.epoch_count, t._position), diverged=t.diverged,
        rng=t.rng.bit_generator.state, net_rng=net.rng.bit_generator.state,
        history=[t.history.column(c).tobytes() for c in t.history.COLUMNS],
        edits=list(t.history.edits),
    )


CHANGES = {
    "set_weight": lambda t: t.apply(SetWeight(0, 1, 2, 0.75)),
    "set_bias": lambda t: t.apply(SetBias(1, 0, -2.5)),
    "resize": lambda t: t.apply(Resize(1, 6)),
    "shrink": lambda t: t.apply(Resize(1, 2)),
    "insert_layer": lambda t: t.apply(InsertLayer(1, 3)),
    "remove_layer": lambda t: t.apply(RemoveLayer(1)),
    "activation": lambda t: t.apply(SetActivation(1, "relu")),
    "constraint": lambda t: t.apply(ChangeSettings(constraint="nonnegative")),
    "freeze": lambda t: t.apply(Freeze(0, 0, 0, True)),
    "learning_rate": lambda t: t.change_settings(learning_rate=0.5),
    "optimizer": lambda t: t.change_settings(optimizer="adam"),
    "batch_and_standardize": lambda t: t.change_settings(batch_size=7, standardize=True),
    "steps": lambda t: t.run(steps=5),
    "epoch": lambda t: t.epoch(),
    "reset": lambda t: t.reset(),
    "load_parameters": lambda t: t.apply(LoadWeights([np.ones_like(w)
                                                      for w in t.network.weights])),
}


def trained(**settings):
    """A trainer part-way through an epoch, with optimizer memory and an edit behind it."""
    t = trainer(sizes=(3, 4, 1), optimizer="momentum", batch_size=8, **settings)
    t.run(steps=3)
    t.evaluate()
    t.apply(SetWeight(0, 0, 1, 0.3))
    t.run(steps=2)
    return t


@pytest.mark.parametrize("kind", CHANGES)
def test_undo_gives_back_the_exact_earlier_trainer(kind):
    t, stack = trained(), UndoStack()
    before = state(t)
    stack.record(t, kind)
    CHANGES[kind](t)
    t.evaluate()
    after = state(t)
    assert after != before
    assert stack.undo(t) == kind
    assert state(t) == before
    assert stack.redo(t) == kind
    assert state(t) == after
    assert stack.undo(t) == kind
    assert state(t) == before


@pytest.mark.parametrize("kind", CHANGES)
def test_undo_then_step_is_the_step_never_changed(kind):
    t, stack = trained(), UndoStack()
    stack.record(t, kind)
    CHANGES[kind](t)
    stack.undo(t)
    t.run(steps=4)
    t.evaluate()
    untouched = trained()
    untouched.run(steps=4)
    untouched.evaluate()
    assert state(t) == state(untouched)


def test_undo_adam_and_classes():
    data = classes(k=3)
    t = trainer(sizes=(3, 5, 3), data=data, output="softmax", loss="cross-entropy",
                optimizer="adam", batch_size=6)
    t.run(steps=4)
    stack = UndoStack()
    before = state(t)
    stack.record(t, "steps")
    t.run(steps=9)
    stack.undo(t)
    assert state(t) == before


def test_a_new_change_clears_the_redo_branch():
    t, stack = trained(), UndoStack()
    stack.record(t, "one")
    t.apply(SetWeight(0, 0, 0, 1.0))
    stack.undo(t)
    assert stack.can_redo
    stack.record(t, "two")
    t.apply(SetWeight(0, 0, 0, 2.0))
    assert not stack.can_redo and stack.redo(t) is None
    assert stack.undo(t) == "two"
    assert stack.undo(t) is None


def test_many_undos_walk_back_in_order():
    t, stack = trained(), UndoStack()
    states = []
    for v in range(5):
        states.append(state(t))
        stack.record(t, f"w={v}")
        t.apply(SetWeight(0, 0, 0, float(v)))
        t.run(steps=1)
    end = state(t)
    for v in reversed(range(5)):
        assert stack.undo(t) == f"w={v}"
        assert state(t) == states[v]
    for v in range(5):
        assert stack.redo(t) == f"w={v}"
    assert state(t) == end


def test_a_refused_change_leaves_no_entry():
    t, stack = trained(), UndoStack()
    before = state(t)
    with pytest.raises(GradstepError):
        with stack.change(t, "size 0"):
            t.apply(Resize(1, 0))
    assert len(stack) == 0 and state(t) == before


def test_bounded_by_count():
    t, stack = trained(), UndoStack(max_entries=10)
    for v in range(25):
        stack.record(t, str(v))
        t.apply(SetWeight(0, 0, 0, float(v)))
    assert len(stack) == 10
    assert stack.labels() == [str(v) for v in range(15, 25)]


def test_bounded_by_memory_dropping_the_oldest():
    t = trainer(sizes=(3, 200, 1))
    params = t.network.params.nbytes
    stack = UndoStack(max_bytes=20 * params)
    for v in range(60):
        stack.record(t, str(v))
        t.apply(SetWeight(0, 0, 0, float(v)))
    assert stack.memory() <= 20 * params
    assert 10 <= len(stack) < 20
    assert stack.labels()[-1] == "59"


def test_an_evaluation_after_the_record_does_not_change_the_undone_history():
    t, stack = trained(), UndoStack()
    before = state(t)
    stack.record(t, "w")
    t.apply(SetWeight(0, 0, 0, 9.0))
    t.evaluate()          # same step: replaces the history's last row in place
    stack.undo(t)
    assert state(t) == before
