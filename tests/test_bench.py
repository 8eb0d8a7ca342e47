"""The bench's pieces run quickly and return sane structures. No time, rate or ratio is compared
with a threshold here (a loaded machine would make such a test flaky): the checks are on the
structure, on every figure being a finite positive number, and on what can be counted by hand
(the FLOPs of a step, the arithmetic the hand loop and the trainer share)."""

import json
import math

import numpy as np
import pytest

from gradstep import bench


@pytest.fixture(scope="module")
def results():
    return bench.run_bench(seconds=0.05, quick=True)


def numbers(tree, path=""):
    """(path, value) of every number in a nested result."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from numbers(v, f"{path}.{k}")
    elif isinstance(tree, list):
        for k, v in enumerate(tree):
            yield from numbers(v, f"{path}[{k}]")
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        yield path, tree


def test_step_flops_counted_by_hand():
    # 2-3-4, batch 5: layer 0 (2×3): forward 2·5·2·3 = 60 and weight gradient 60, no input
    # gradient; layer 1 (3×4): forward 120, weight gradient 120, input gradient 120
    assert bench.step_flops((2, 3, 4), 5) == 60 + 60 + 120 + 120 + 120
    assert bench.evaluation_flops((2, 3, 4), 7) == 2 * 7 * (2 * 3 + 3 * 4)
    assert bench.step_flops((9, 1), 1) == 2 * 9 * 2


def test_the_hand_loop_does_the_trainers_arithmetic():
    """The engine rows compare like with like: the hand loop ends where the trainer does."""
    for case in (bench.CASES[0], bench.CASES[1]):
        t = bench.make_trainer(case)
        hand = bench.hand_loop(t, 57, case.constraint == "nonnegative")
        t.run(steps=57)
        for ours, theirs in zip(t.network.weights, hand):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_flop_counts_of_the_large_step():
    # forward and weight gradient on every layer; the input gradient on all but the first
    sizes, b = bench.LARGE_SIZES, bench.LARGE_BATCH
    assert bench.step_flops(sizes, b) == 2 * b * (2 * 784 * 256 + 3 * 256 * 256 + 3 * 256 * 10)
    assert bench.evaluation_flops(sizes, 10) == 2 * 10 * (784 * 256 + 256 * 256 + 256 * 10)


def test_large_trainer_is_float32_end_to_end():
    t = bench.large_trainer("float32", samples=512)
    t.run(steps=3)
    assert t.network.params.dtype == t.x_train.dtype == np.float32
    assert all(a.dtype == np.float32 for a in t.network.last_activations)


def test_run_bench_sections_table_and_json(results):
    assert set(results) == {"engine", "sweep", "large", "app", "views", "big", "startup",
                            "memory"}
    table = bench.format_table(results)
    for words in ("circle 2-4-2-1", "sweep: circle", "784-256-256-10 float32", "live app",
                  "512×512 grid", "1,000,000 rows", "start-up", "peak memory",
                  "neuron pictures", "A and B side by side", "digits 64-10"):
        assert words in table
    assert json.loads(json.dumps(results)) == results


def test_every_figure_is_a_finite_number_and_times_are_positive(results):
    found = dict(numbers(results))
    assert len(found) > 30
    for path, value in found.items():
        assert math.isfinite(value) and value >= 0, (path, value)
        if path.endswith(("_s", "_ms", "_mb", "gflops", "ratio", "share_of_matmul")):
            assert value > 0, (path, value)


def test_engine_and_large_rows_are_sane(results):
    assert [r["case"] for r in results["engine"]] == [c.name for c in bench.CASES]
    for r in results["engine"]:
        assert r["ratio"] == r["hand_loop_steps_per_s"] / r["steps_per_s"]
        assert r["rounds"] == 2 and r["steps_per_round"] >= 100
    f32, f64 = results["large"]
    assert (f32["dtype"], f64["dtype"]) == ("float32", "float64")
    for row in (f32, f64):
        assert row["step_flops"] == bench.step_flops(bench.LARGE_SIZES, bench.LARGE_BATCH)
        assert row["share_of_matmul"] == pytest.approx(row["gflops"] /
                                                       row["matmul_float32_gflops"], rel=1e-12)
        assert row["rounds"] == 2 and row["steps_per_round"] >= 1


def test_sweep_row_is_sane(results):
    sweep = results["sweep"]
    assert (sweep["seeds"], sweep["steps"]) == (20, 200)
    assert sweep["sweep_s"] > 0 and sweep["sequential_s"] > 0
    # one run, alternating rounds: a generous bound (the bench's target is 10× at 100 seeds)
    assert sweep["speedup"] > 1.5
    assert sweep["max_weight_difference"] < 1e-9


def test_live_app_figures(results):
    app = results["app"]
    assert isinstance(app["status_shows_steps_per_s"], bool)
    assert app["pane_redraws_per_s"] <= app["redraws_per_s"]  # every pane redraw is a redraw
    assert app["key_latency_ms"] <= app["key_latency_max_ms"]  # a median is at most the max
    assert app["presses"] == 5


def test_big_panes_and_startup_and_memory(results):
    big = results["big"]
    assert big["plot_rows"] == 1_000_000 and big["grid_rows"] > 0
    assert results["startup"]["runs"] == 1
    rows = {r["preset"]: r for r in results["memory"]}
    assert set(rows) == {"circle", "house-prices"}
    assert all(r["peak_rss_mb"] > 10 and 0 <= r["epochs"] <= r["epochs_wanted"]
               for r in rows.values())


def test_million_row_history_downsamples_to_the_plot_width():
    from gradstep.tui.widgets.loss_plot import downsample
    history = bench.million_history(100_000)
    x, y = downsample(history.column("step"), history.column("train_loss"), 200)
    assert len(x) <= 200 and x[0] == 0 and x[-1] == 99_999
