"""Sizes inside their own limits that ask for gigabytes: each is checked against the memory
budget before anything is allocated, and a refusal states the real estimate. Every run here
happens in a child process under an address-space limit (a safety net) whose peak resident
memory is measured, so a failed check shows as a failed test, never as a machine out of
memory."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from gradstep import budget
from gradstep.budget import BudgetError, parse_size, size_text
from gradstep.edits import ChangeSettings, InsertLayer, Resize
from gradstep.errors import GradstepError
from gradstep.history import HISTORY_BYTES, MAX_HISTORY_ROWS, History
from gradstep.model import Network
from gradstep.scenarios import load_scenario
from gradstep.training import Trainer, TrainingSettings
from hostile_tools import run_measured, scenario

GB = 1_000_000_000


def plane(tmp_path, layers, samples=100_000, batch=10, epochs=1, name="s.toml",
          optimizer="sgd"):
    return scenario(tmp_path, f"""
        [data]
        kind = "plane"
        samples = {samples}
        [network]
        layers = {layers}
        [training]
        batch_size = {batch}
        epochs = {epochs}
        optimizer = "{optimizer}"
    """, name)


def test_a_batch_through_a_wide_layer_is_refused_with_its_estimate(tmp_path):
    """[2, 5000, 1] with batch 100,000 peaked at 9.8 GB."""
    path = plane(tmp_path, "[2, 5000, 1]", batch=100_000)
    status, out, err, peak = run_measured("train", path)
    assert status == 2 and out == "" and "Traceback" not in err
    assert "[training] batch_size" in err and "a training step on 50,000 rows" in err
    assert "GB of memory" in err and "memory budget is 1 GB" in err
    assert peak < 300_000_000


def test_a_wide_layer_on_many_samples_trains_in_chunks(tmp_path):
    """[2, 100000, 1] with 100,000 samples: "Unable to allocate 37.3 GiB" in the evaluation.
    The evaluation now goes through the wide layer in chunks of rows. 4,000 samples here (an
    evaluation of 100,000 samples through 100,000 neurons takes minutes): unchunked, one
    layer's activations alone would take 3.2 GB, past the child's 1.5 GB address space."""
    path = plane(tmp_path, "[2, 100000, 1]", samples=4000)
    status, out, err, peak = run_measured("train", path, "--steps", "2", "--json",
                                          address_space=1_500_000_000)
    assert status == 0, err
    assert peak < 400_000_000, size_text(peak)
    status, out, err, peak = run_measured("train", plane(tmp_path, "[2, 100000, 1]", name="b.toml"),
                                          "--steps", "1", env={"GRADSTEP_MEMORY_BUDGET": "100MB"})
    assert status == 2 and "memory budget is 100 MB" in err


def test_budget_env_lowers_the_limit_and_is_checked(tmp_path):
    path = plane(tmp_path, "[2, 100000, 1]")
    status, out, err, peak = run_measured("train", path, env={"GRADSTEP_MEMORY_BUDGET": "150MB"})
    assert status == 2 and "memory budget is 150 MB" in err and "GRADSTEP_MEMORY_BUDGET" in err
    status, out, err, peak = run_measured("train", "plane", env={"GRADSTEP_MEMORY_BUDGET": "lots"})
    assert status == 2 and err == ("gradstep: error: GRADSTEP_MEMORY_BUDGET must be a size like "
                                   "2GB or 512MB, got 'lots'")
    status, out, err, peak = run_measured("train", "plane", env={"GRADSTEP_MEMORY_BUDGET": "1kB"})
    assert status == 2 and "at least 100 MB" in err


def test_parse_size():
    assert parse_size("1GB") == GB and parse_size("512 mb") == 512_000_000
    assert parse_size("2e9") == 2 * GB and parse_size("1GiB") == 2**30
    for bad in ("lots", "-1GB", "1XB", "", "nan", "1e999"):
        with pytest.raises(ValueError):
            parse_size(bad)


def big_data_trainer(rows=50_000, sizes=(2, 4, 1), batch=10):
    from gradstep.scenarios.data import Dataset
    x = np.random.default_rng(0).normal(size=(rows, 2))
    data = Dataset(x, x[:, :1] * 2, "regression", 0, ("a", "b"), ("y",))
    empty = data.subset(np.zeros(rows, bool))
    return Trainer(Network(list(sizes)), data, empty, TrainingSettings(batch_size=batch))


def test_a_resize_or_a_layer_that_would_not_fit_is_refused_and_changes_nothing():
    trainer = big_data_trainer(batch=50_000)
    before = (list(trainer.network.sizes), trainer.network.params.copy())
    for edit in (Resize(1, 20_000), InsertLayer(1, 20_000)):
        with pytest.raises(BudgetError) as info:
            trainer.apply(edit)
        assert "a training step on 50,000 rows" in str(info.value)
        assert "GB of memory" in str(info.value)
    assert trainer.network.sizes == before[0]
    assert np.array_equal(trainer.network.params, before[1])


def test_a_huge_batch_via_the_settings_is_refused():
    trainer = big_data_trainer(sizes=(2, 4000, 1))
    before = trainer.settings
    with pytest.raises(BudgetError) as info:
        trainer.apply(ChangeSettings({"batch_size": 50_000}))
    assert "a training step on 50,000 rows" in str(info.value)
    assert trainer.settings == before
    trainer.apply(ChangeSettings({"batch_size": 500}))  # a batch that fits is taken


def test_estimates_are_upper_bounds_of_what_a_run_holds(tmp_path):
    """The estimate of a mid-sized run against its measured peak: the estimate is not below
    what numpy holds (the interpreter and imports add about 60 MB on top)."""
    for layers, batch, optimizer in (("[2, 500, 1]", 20_000, "sgd"),
                                     ("[2, 200, 200, 1]", 10_000, "adam")):
        path = plane(tmp_path, layers, samples=50_000, batch=batch, epochs=1,
                     optimizer=optimizer)
        status, out, err, peak = run_measured("train", path, "--json")
        assert status == 0, err
        parts = budget.training_parts(json.loads(layers), 8, n_train=25_000, n_test=25_000,
                                      n_inputs=2, raw_targets=1, encoded_targets=1,
                                      batch=batch, optimizer=optimizer)
        estimate = sum(b for _, b, _ in parts) - budget.history_bytes(2)  # a short run's is small
        assert peak - 60_000_000 < estimate, (layers, size_text(peak), size_text(estimate))


def test_history_rows_stop_growing():
    history = History()
    cap = history.row_cap()
    assert cap <= MAX_HISTORY_ROWS
    for step in range(cap + 10):
        history.record(step, step, 1.0, 1.0, 0.5)
    assert len(history) <= cap and history.thinned == 1
    assert history.rows().shape[1] == len(history) and history.column("step")[0] == 0
    assert history.column("step")[-1] == cap + 9
    assert sum(a.nbytes for a in history.arrays()[::2]) <= HISTORY_BYTES + 8 * 5 * 64
    mark = history.mark()
    for step in range(cap):
        history.record(step, step, 1.0, 1.0, 0.5)
    assert history.thinned >= 2 and len(history) <= cap
    assert len(history.copy(mark)) <= len(history)


def test_a_deeper_network_thins_the_history_instead_of_widening_it():
    """Sums rows widen with the depth (9 numbers a layer): the rows held shrink first."""
    history = History()
    shallow = [np.ones((2, 4)), np.ones((4, 1))]
    for step in range(history.row_cap(18)):
        history.record(step, step, 1.0, 1.0, 0.5, shallow)
    deep = [np.ones((2, 2))] + [np.ones((2, 2))] * 998 + [np.ones((2, 1))]
    history.record(10**6, 1, 1.0, 1.0, 0.5, deep)
    assert sum(a.nbytes for a in history.arrays()[::2]) <= 2 * HISTORY_BYTES
    assert len(history) <= history.row_cap()


def test_chunked_evaluation_equals_the_whole(monkeypatch):
    """Forward in chunks gives each row the same result as one forward of all rows."""
    rng = np.random.default_rng(0)
    net = Network([3, 64, 32, 4], ["relu", "tanh"], "softmax")
    x = rng.normal(size=(5000, 3))
    whole = net.forward(x, logits=True)
    monkeypatch.setattr("gradstep.model.network.chunk_rows", lambda widest, item: 333)
    chunked = net.forward_rows(x, logits=True)
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_a_network_of_300000_layers_is_refused_at_once(tmp_path, refuse):
    """A 900 kB scenario of 300,000 one-neuron layers took 40 s and 1 GB of Python objects."""
    path = scenario(tmp_path, f"""
        [data]
        kind = "linear"
        coefficients = [1.0]
        [network]
        layers = [{", ".join(["1"] * 300_000)}]
    """)
    started = time.perf_counter()
    line = refuse("train", path)
    assert "299,999 weight layers; the limit is 1,000" in line
    assert time.perf_counter() - started < 10
