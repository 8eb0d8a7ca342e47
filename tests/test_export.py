"""Exports: weights JSON that a scenario file takes back, loss history CSV."""

import json

import numpy as np
import pytest

from gradstep.errors import GradstepError
from gradstep.export import history_csv, load_weights, weights_json
from gradstep.scenarios import load_scenario
from gradstep.scenarios.scenario import presets_dir


def test_exported_weights_pasted_into_a_scenario_reproduce_the_network(tmp_path):
    trained = load_scenario("two-three-one").build()
    trained.run(steps=50)
    doc = json.loads(weights_json(trained.network))
    text = (presets_dir() / "two-three-one.toml").read_text()
    head, rest = text.split("[network]", 1)
    pasted = head + "[network]\n" + f"weights = {json.dumps(doc['weights'])}\n" \
        + f"biases = {json.dumps(doc['biases'])}\n" + rest
    path = tmp_path / "mine.toml"
    path.write_text(pasted)
    rebuilt = load_scenario(path).build()
    for a, b in zip(rebuilt.network.weights, trained.network.weights):
        np.testing.assert_array_equal(a, b)
    x = trained.raw_train.x[:5]
    np.testing.assert_array_equal(rebuilt.predict(x), trained.predict(x))


def test_load_weights_into_a_session_and_refuse_mismatches(tmp_path):
    source = load_scenario("two-three-one").build()
    source.run(steps=20)
    path = tmp_path / "w.json"
    path.write_text(weights_json(source.network))
    target = load_scenario("two-three-one").build()
    load_weights(target, path)
    np.testing.assert_array_equal(target.network.params, source.network.params)
    assert target.history.edits == [0]

    other = load_scenario("plane").build()
    before = other.network.params.copy()
    for content in ("{", "[]", '{"weights": 3}', '{"weights": [[["a"]]]}',
                    weights_json(source.network)):
        path.write_text(content)
        with pytest.raises(GradstepError) as info:
            load_weights(other, path)
        assert "\n" not in str(info.value)
    np.testing.assert_array_equal(other.network.params, before)
    with pytest.raises(GradstepError, match="cannot read"):
        load_weights(other, tmp_path / "missing.json")


def test_history_csv_has_a_row_per_evaluation_and_blank_cells_for_nothing():
    t = load_scenario("grades").build()
    t.run(epochs=3)  # 200 students in batches of 10: an evaluation every 20 steps
    lines = history_csv(t.history).splitlines()
    assert lines[0] == "step,train_loss,test_loss"
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "20", "40", "60"]
    assert all(line.endswith(",") for line in lines[1:])  # grades has no test split


def test_the_loss_csv_carries_the_sums_over_time_by_name():
    from gradstep.export import history_csv
    from gradstep.names import trainer_names
    from gradstep.scenarios import load_scenario

    t = load_scenario("grades").build()
    t.run(epochs=3)
    lines = history_csv(t.history, trainer_names(t)).splitlines()
    header = lines[0].split(",")
    assert header == ["step", "train_loss", "test_loss", "sum_W0", "W0:grade"]
    last = lines[-1].split(",")
    w = t.network.weights[0]
    assert float(last[3]) == float(w.sum()) and float(last[4]) == float(w.sum())
    assert len(lines) == 1 + len(t.history)
