"""The bench's pieces run quickly and return sane structures. No absolute times are asserted;
the only speed checks are generous ratios measured in one run."""

import json

import numpy as np
import pytest

from gradstep import bench


@pytest.fixture(scope="module")
def results():
    return bench.run_bench(seconds=0.05, quick=True)


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
    assert set(results) == {"engine", "sweep", "large", "app", "big", "startup", "memory"}
    table = bench.format_table(results)
    for words in ("circle 2-4-2-1", "sweep: circle", "784-256-256-10 float32", "live app",
                  "512×512 grid", "1,000,000 rows", "start-up", "peak memory"):
        assert words in table
    assert json.loads(json.dumps(results)) == results


def test_engine_and_large_rows_are_sane(results):
    assert all(r["steps_per_s"] > 0 and r["ratio"] > 0 for r in results["engine"])
    f32, f64 = results["large"]
    assert (f32["dtype"], f64["dtype"]) == ("float32", "float64")
    for row in (f32, f64):
        assert row["steps_per_s"] > 0 and row["gflops"] > 0 and row["matmul_float32_gflops"] > 0
    # one run, alternating rounds: the float32 trainer keeps a fair share of the matmul rate
    # (the bench's target is 60%; this bound only catches a step that left float32 or BLAS)
    assert f32["share_of_matmul"] > 0.15


def test_sweep_row_is_sane(results):
    sweep = results["sweep"]
    assert (sweep["seeds"], sweep["steps"]) == (20, 200)
    assert sweep["sweep_s"] > 0 and sweep["sequential_s"] > 0
    # one run, alternating rounds: a generous bound (the bench's target is 10× at 100 seeds)
    assert sweep["speedup"] > 1.5
    assert sweep["max_weight_difference"] < 1e-9


def test_live_app_figures(results):
    app = results["app"]
    assert app["steps_per_s"] > 0 and app["redraws_per_s"] > 0
    assert app["status_shows_steps_per_s"]
    assert app["pane_redraws_per_s"] < app["redraws_per_s"]  # costly panes at a lower rate
    assert 0 < app["key_latency_ms"] <= app["key_latency_max_ms"]


def test_big_panes_and_startup_and_memory(results):
    big = results["big"]
    assert big["plot_rows"] == 1_000_000 and big["grid_rows"] > 0
    assert all(big[k] > 0 for k in ("grid_update_ms", "grid_render_ms", "grid_move_to_frame_ms",
                                    "grid_edit_to_frame_ms", "plot_update_ms", "plot_render_ms"))
    assert results["startup"]["first_screen_s"] > 0 and results["startup"]["app_rss_mb"] > 0
    rows = {r["preset"]: r for r in results["memory"]}
    assert set(rows) == {"circle", "house-prices"}
    assert all(r["peak_rss_mb"] > 10 and r["epochs"] >= 1 for r in rows.values())


def test_million_row_history_downsamples_to_the_plot_width():
    from gradstep.tui.widgets.loss_plot import downsample
    history = bench.million_history(100_000)
    x, y = downsample(history.column("step"), history.column("train_loss"), 200)
    assert len(x) <= 200 and x[0] == 0 and x[-1] == 99_999
