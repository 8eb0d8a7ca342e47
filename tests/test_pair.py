"""Two networks side by side: [compare] scenarios, lockstep training, B in the workspace."""

import json

import numpy as np
import pytest

from gradstep import cli
from gradstep.errors import GradstepError, ScenarioError
from gradstep.pair import Lockstep, copy_of
from gradstep.scenarios import load_scenario
from gradstep.workspace import Workspace

PLANE = """
title = "plane"
[data]
kind = "linear"
samples = 100
coefficients = [2.79, 2.01]
intercept = 4.11
noise = 0.1
seed = 4
[network]
layers = [2, 1]
init = "zeros"
[training]
learning_rate = 0.1
epochs = 10
"""


def scenario(tmp_path, compare: str):
    path = tmp_path / "pair.toml"
    path.write_text(PLANE + "[compare]\n" + compare)
    return load_scenario(path)


def test_compare_changes_only_the_keys_it_names(tmp_path):
    s = scenario(tmp_path, 'title = "on a simplex"\nconstraint = "simplex"\nlearning_rate = 0.05\n')
    assert s.compare.title == "on a simplex" and s.compare.changed == ("constraint",
                                                                         "learning_rate")
    assert s.compare.network == s.network.replace(constraint="simplex")
    assert s.compare.settings == s.settings.changed(learning_rate=0.05)
    a, b = s.build_all()
    assert a.raw_train is b.raw_train and a.raw_test is b.raw_test  # the same data
    assert b.network.constraint == "simplex" and a.network.constraint == "none"


@pytest.mark.parametrize("compare, words", [
    ("", "must change at least one key"),
    ("colour = 1\n", "unknown key 'colour'"),
    ("constraint = \"budget\"\n", "[compare] constraint: must be one of"),
    ("learning_rate = -1\n", "[compare] learning_rate: must be a number above 0"),
    ("title = 3\nl2 = 0.1\n", "[compare] title: must be a string"),
    ("layers = [3, 1]\n", "[compare] layers: the data has 2 inputs"),
])
def test_bad_compare_tables_fail_in_one_line(tmp_path, compare, words):
    with pytest.raises(ScenarioError) as error:
        scenario(tmp_path, compare).build_all()
    message = str(error.value)
    assert words in message and "\n" not in message and message.startswith(str(tmp_path))


def test_lockstep_gives_both_the_same_batches_in_the_same_order(tmp_path):
    a, b = scenario(tmp_path, "l2 = 0.5\n").build_all()
    pair = Lockstep([a, b])
    seen = []
    for _ in range(25):  # across epoch boundaries: 100 rows, batches of 10
        pair.run(steps=1)
        seen.append((a.network.last_activations[0].copy(), b.network.last_activations[0].copy()))
    assert all(np.array_equal(x, y) for x, y in seen)
    assert a.step_count == b.step_count == 25 and a.epoch_count == b.epoch_count == 2
    assert not np.array_equal(a.network.params, b.network.params)  # l2 made them differ


def test_a_copy_trains_exactly_as_the_original_and_one_diverging_stops_alone(tmp_path):
    a, _ = scenario(tmp_path, "l1 = 0.1\n").build_all()
    a.run(steps=7)
    twin = copy_of(a)
    Lockstep([a, twin]).run(steps=33)
    np.testing.assert_array_equal(a.network.params, twin.network.params)
    assert a.history.column("train_loss").tolist() == twin.history.column("train_loss").tolist()
    wild, calm = scenario(tmp_path, "learning_rate = 1000\n").build_all()[::-1]
    done = Lockstep([calm, wild]).run(steps=20)
    assert wild.diverged and not calm.diverged and done == 20 and calm.step_count == 20


def test_once_a_diverges_the_epochs_are_b_s(tmp_path):
    """An epoch (`n`, or a run of whole epochs) ends at the end of B's epoch, not A's."""
    wild, calm = scenario(tmp_path, "learning_rate = 0.05\n").build_all()
    wild.change_settings(learning_rate=1000)
    pair = Lockstep([wild, calm])
    pair.run(steps=3)
    assert wild.diverged and calm.step_count == 3 and pair.steps_per_epoch == 10
    pair.epoch()
    assert calm.step_count == 10 and calm.epoch_count == 1 and pair.step_count == 10
    pair.run(epochs=2)
    assert calm.step_count == 30 and calm.epoch_count == 3
    assert wild.step_count < 3


def test_the_workspace_adds_and_removes_b_and_undo_brings_either_back():
    ws = Workspace.from_scenario(load_scenario("circle"))
    ws.epoch()
    assert not ws.comparing
    ws.toggle_compare()
    a, b = ws.trainers
    np.testing.assert_array_equal(a.network.params, b.network.params)
    ws.switch()
    assert ws.trainer is b
    from gradstep.edits import ChangeSettings
    ws.apply(ChangeSettings({"learning_rate": 0.3}))
    assert b.settings.learning_rate == 0.3 and a.settings.learning_rate == 0.03
    ws.epoch()
    assert a.step_count == b.step_count == 50
    assert not np.array_equal(a.network.params, b.network.params)
    ws.toggle_compare()
    assert not ws.comparing and ws.trainer is a
    assert ws.undo() == "remove B" and ws.comparing and ws.trainer is b
    assert ws.undo() == "an epoch" and a.step_count == b.step_count == 25
    assert ws.undo() == "settings: learning_rate" and b.settings.learning_rate == 0.03
    assert ws.undo() == "B: a copy of A" and not ws.comparing
    with pytest.raises(GradstepError, match="there is no B"):
        ws.switch()


def test_a_compare_scenario_opens_with_both_and_a_run_steps_both():
    import time
    ws = Workspace.from_scenario(load_scenario("circle"))
    ws.toggle_compare()
    ws.set_pace(None)
    ws.run()
    deadline = time.monotonic() + 10
    while ws.trainers[1].step_count < 100:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    ws.pause()
    assert ws.trainers[0].step_count == ws.trainers[1].step_count
    assert ws.undo_stack.labels()[-1] == "training run"


def test_train_json_has_b_under_compare(tmp_path, capsys):
    s = scenario(tmp_path, 'title = "simplex"\nconstraint = "simplex"\n')
    assert cli.main(["train", str(s.path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    b = result["compare"]
    assert b["title"] == "simplex" and b["steps"] == result["steps"] == 100
    assert b["layers"][0]["sum"] == pytest.approx(1.0) and result["layers"][0]["sum"] > 4
    assert set(b) == set(result) - {"compare"} | {"title"}
    assert cli.main(["train", str(s.path)]) == 0
    assert "B: simplex" in capsys.readouterr().out
