"""`gradstep bench`: how fast gradstep trains, and how live its screen stays.

Machines here are shared and noisy, so every figure that matters is a ratio measured in one
run: the trainer and a hand-written loop doing the same arithmetic take turns, several rounds
each, and the best round of each is compared. Sections:

- engine: steps/s of small networks against a minimal numpy loop (target ≤ 1.5× slower);
- sweep: 100 seeds of circle trained together (gradstep.sweep) against the same 100 trainers
  run one after another (target ≥ 10× faster);
- large: 784-256-256-10 in float32 and float64, as a share of this machine's own float32
  matmul throughput on the step's shapes (target ≥ 60% for float32);
- app: the Textual app headless (App.run_test) on circle: steps/s and frames/s while running,
  and key-to-screen latency (space pressed → the new step in the text sent to the terminal);
- big: a 512×512 layer in the weights grid, and the loss plot with a million history rows;
- startup: `gradstep` from process start to its first screen, in a fresh process;
- memory: peak RSS of each shipped scenario trained headless, in its own process.
"""

import asyncio
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gradstep.model import Network
from gradstep.scenarios.data import Dataset, load_data
from gradstep.training import Trainer, TrainingSettings


@dataclass(frozen=True)
class Case:
    name: str
    sizes: tuple
    batch: int
    constraint: str = "none"
    readouts_every: int = 0  # read the readouts every k steps, as a screen would


CASES = (
    Case("circle 2-4-2-1, batch 10", (2, 4, 2, 1), 10),
    Case("circle + nonnegative + readouts", (2, 4, 2, 1), 10, "nonnegative", 100),
    Case("deep narrow 2-8x8-1, batch 10", (2,) + (8,) * 8 + (1,), 10),
    Case("wide 400-64-1, batch 32", (400, 64, 1), 32),
)


def _data(case, seed=0):
    if case.sizes[0] == 2:
        train, test = load_data({"kind": "circle", "seed": seed}, None, "bench")
        return train, test
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(500, case.sizes[0]))
    y = np.tanh(x[:, :1])
    data = Dataset(x, y, "regression", 0, tuple(f"x{i}" for i in range(case.sizes[0])), ("y",))
    return data.subset(np.arange(250)), data.subset(np.arange(250, 500))


def make_trainer(case, seed=0):
    train, test = _data(case, seed)
    net = Network(list(case.sizes), "tanh", "tanh", init="uniform", seed=seed,
                  constraint=case.constraint)
    settings = TrainingSettings(learning_rate=0.03, batch_size=case.batch)
    return Trainer(net, train, test, settings, seed=seed)


def hand_loop(trainer, steps, nonnegative=False):
    """The same arithmetic written out plainly: tanh layers, mse, sgd, shuffled mini-batches,
    and a full evaluation of train and test loss at the end of every epoch."""
    ws = [w.copy() for w in trainer.network.weights]
    bs = [b.copy() for b in trainer.network.biases]
    x, y, xt, yt = trainer.x_train, trainer.y_train, trainer.x_test, trainer.y_test
    batch, lr, n = trainer.settings.batch_size, trainer.settings.learning_rate, len(x)
    rng = np.random.default_rng(0)
    position = n
    for _ in range(steps):
        if position >= n:
            order = rng.permutation(n)
            xe, ye, position = x[order], y[order], 0
        acts = [xe[position:position + batch]]
        target = ye[position:position + batch]
        position += batch
        for w, b in zip(ws, bs):
            acts.append(np.tanh(acts[-1] @ w + b))
        diff = acts[-1] - target
        dz = diff * (2.0 / diff.size) * (1 - acts[-1] ** 2)
        for l in range(len(ws) - 1, -1, -1):
            gw, gb = acts[l].T @ dz, dz.sum(axis=0)
            if l:
                dz = (dz @ ws[l].T) * (1 - acts[l] ** 2)
            ws[l] = ws[l] - lr * gw
            if nonnegative:
                ws[l] = np.maximum(ws[l], 0)
            bs[l] = bs[l] - lr * gb
        if position >= n:
            for data, target in ((x, y), (xt, yt)):
                a = data
                for w, b in zip(ws, bs):
                    a = np.tanh(a @ w + b)
                np.mean((a - target) ** 2)
    return ws


def _rate(run, steps):
    start = time.perf_counter()
    run(steps)
    return steps / (time.perf_counter() - start)


def _trainer_run(trainer, case):
    def run(steps):
        if not case.readouts_every:
            trainer.run(steps=steps)
            return
        for _ in range(steps // case.readouts_every):
            trainer.run(steps=case.readouts_every)
            trainer.readouts()
    return run


def bench_case(case, seconds=2.0, rounds=5):
    """Steps/s of the trainer and of the hand loop, best of `rounds` alternating rounds."""
    trainer = make_trainer(case)
    steps = 100
    while True:  # size a round to about seconds / (2 * rounds)
        elapsed = steps / _rate(lambda s: trainer.run(steps=s), steps)
        if elapsed > seconds / (4 * rounds) or steps >= 1_000_000:
            break
        steps *= 2
    ours, hand = [], []
    for _ in range(rounds):
        trainer = make_trainer(case)
        ours.append(_rate(_trainer_run(trainer, case), steps))
        hand.append(_rate(lambda s: hand_loop(trainer, s, case.constraint == "nonnegative"),
                          steps))
    best_ours, best_hand = max(ours), max(hand)
    return {"case": case.name, "steps_per_s": best_ours, "hand_loop_steps_per_s": best_hand,
            "ratio": best_hand / best_ours, "steps_per_round": steps, "rounds": rounds}



# ---- sweep: many seeds together against one after another -----------------------------------

def sweep_trainers(seeds):
    """Seeds 0..seeds-1 of the circle preset: 2-4-2-1, tanh, batch 10, half the points held
    out, as `gradstep sweep circle --seeds N` builds them."""
    from gradstep.scenarios import load_scenario

    scenario = load_scenario("circle")
    return [scenario.build(seed=k) for k in range(seeds)]


def bench_sweep(seeds=100, steps=2000, rounds=3):
    """Seconds for `seeds` trainers to take `steps` steps each: together, as `gradstep sweep`
    trains them (gradstep.sweep.train: built, run and written back into the trainers), against
    the trainers run one after another, alternating rounds from the same start, best of each;
    and how far apart their weights end."""
    from gradstep.sweep import train

    trainers = sweep_trainers(seeds)
    starts = [trainer.snapshot() for trainer in trainers]

    def start_again():
        for trainer, start in zip(trainers, starts):
            trainer.restore(start)

    together, alone = [], []
    for _ in range(rounds):
        start_again()
        began = time.perf_counter()
        train(trainers, steps=steps)
        together.append(time.perf_counter() - began)
        swept = np.array([trainer.network.params for trainer in trainers])
        start_again()
        began = time.perf_counter()
        for trainer in trainers:
            trainer.run(steps=steps)
        alone.append(time.perf_counter() - began)
    single = np.array([trainer.network.params for trainer in trainers])
    best_together, best_alone = min(together), min(alone)
    return {"case": f"circle 2-4-2-1, batch 10: {seeds} seeds × {steps:,} steps",
            "seeds": seeds, "steps": steps, "sweep_s": best_together,
            "sequential_s": best_alone, "speedup": best_alone / best_together,
            "copy_steps_per_s": seeds * steps / best_together,
            "sequential_steps_per_s": seeds * steps / best_alone,
            "max_weight_difference": float(np.abs(swept - single).max()), "rounds": rounds}


# ---- large: a 784-wide network against this machine's matmul throughput -------------------

LARGE_SIZES = (784, 256, 256, 10)
LARGE_BATCH = 128


def large_trainer(dtype, samples=4096, seed=0):
    """784-256-256-10, relu, softmax + cross-entropy, sgd, batch 128, on synthetic data: normal
    inputs labelled by the argmax of a random linear map; an eighth held out for testing."""
    rng = np.random.default_rng(seed)
    n_in, k = LARGE_SIZES[0], LARGE_SIZES[-1]
    x = rng.normal(size=(samples, n_in))
    y = (x @ rng.normal(size=(n_in, k))).argmax(axis=1)
    data = Dataset(x, y, "classification", k, tuple(f"x{i}" for i in range(n_in)),
                   tuple(str(c) for c in range(k)))
    test = samples // 8
    net = Network(list(LARGE_SIZES), "relu", "softmax", init="he", seed=seed, dtype=dtype)
    settings = TrainingSettings(loss="cross-entropy", learning_rate=0.01, batch_size=LARGE_BATCH)
    return Trainer(net, data.subset(np.arange(samples - test)),
                   data.subset(np.arange(samples - test, samples)), settings, seed=seed)


def step_flops(sizes, batch):
    """Matmul FLOPs of one step: per layer the forward a @ W and the weight gradient a.T @ dz,
    and dz @ W.T for every layer but the first (no gradient is needed for the inputs)."""
    return sum(2 * batch * a * b * (2 if l == 0 else 3)
               for l, (a, b) in enumerate(zip(sizes, sizes[1:])))


def evaluation_flops(sizes, rows):
    """Matmul FLOPs of a forward pass over `rows` inputs (an epoch-end evaluation)."""
    return sum(2 * rows * a * b for a, b in zip(sizes, sizes[1:]))


def matmul_reference(sizes, batch, dtype, seed=0):
    """run(k): the step's matmuls on the same shapes, back to back, k times (outputs preallocated,
    so this is np.matmul and nothing else)."""
    rng = np.random.default_rng(seed)
    acts = [rng.normal(size=(batch, n)).astype(dtype) for n in sizes]
    weights = [rng.normal(size=(a, b)).astype(dtype) for a, b in zip(sizes, sizes[1:])]
    grads = [np.empty_like(w) for w in weights]
    outs = [np.empty_like(a) for a in acts]

    def run(k):
        for _ in range(k):
            for l, w in enumerate(weights):
                np.matmul(acts[l], w, out=outs[l + 1])
            for l in range(len(weights) - 1, -1, -1):
                np.matmul(acts[l].T, acts[l + 1], out=grads[l])
                if l:
                    np.matmul(acts[l + 1], weights[l].T, out=outs[l])
    return run


def bench_large(dtype, seconds=2.0, rounds=5, samples=4096):
    """Training FLOP/s of the large case (trainer.run: steps and their epoch-end evaluations,
    every matmul FLOP counted) against float32 matmuls on the step's shapes, alternating rounds."""
    trainer = large_trainer(dtype, samples)
    flops = step_flops(LARGE_SIZES, LARGE_BATCH)
    eval_rows = len(trainer.x_train) + len(trainer.x_test)
    reference = matmul_reference(LARGE_SIZES, LARGE_BATCH, np.float32)
    trainer.run(steps=2)
    reference(2)
    steps = max(trainer.steps_per_epoch, 1)
    while steps / _rate(lambda s: trainer.run(steps=s), steps) < seconds / (4 * rounds) \
            and steps < 100_000:
        steps *= 2
    ours, matmul = [], []
    for _ in range(rounds):
        epochs = trainer.epoch_count
        start = time.perf_counter()
        done = trainer.run(steps=steps)
        elapsed = time.perf_counter() - start
        work = done * flops + (trainer.epoch_count - epochs) * evaluation_flops(LARGE_SIZES,
                                                                                eval_rows)
        ours.append((work / elapsed, done / elapsed))
        matmul.append(flops * _rate(reference, steps))
    best_flops, best_steps = max(ours)
    best_matmul = max(matmul)
    return {"case": f"784-256-256-10 {dtype}, batch {LARGE_BATCH}", "dtype": dtype,
            "steps_per_s": best_steps, "gflops": best_flops / 1e9,
            "matmul_float32_gflops": best_matmul / 1e9,
            "share_of_matmul": best_flops / best_matmul,
            "step_flops": flops, "steps_per_round": steps, "rounds": rounds}


# ---- app: the Textual app, its frames recorded as a terminal would get them --------------

class Screen:
    """What the app sent to the (recorded) terminal: text since the last clear(), frames."""

    def __init__(self):
        self.text, self.frames, self.times = "", 0, []

    def write(self, when, data):
        self.text += data

    def frame(self, when):
        self.frames += 1
        self.times.append(when)

    def clear(self):
        self.text = ""


def recorded_app(workspace):
    """(the app on a workspace, its Screen): every frame becomes terminal text."""
    from gradstep.tui.app import GradstepApp
    from gradstep.tui.recording import recording_driver

    screen = Screen()
    return GradstepApp(workspace, driver_class=recording_driver(screen)), screen


def count_calls(obj, method):
    """Count calls of a public method of one object (a pane's update_from): a list of one int."""
    count, original = [0], getattr(obj, method)

    def counted(*args, **kwargs):
        count[0] += 1
        return original(*args, **kwargs)

    setattr(obj, method, counted)
    return count


async def _until(condition, timeout=5.0):
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not show it in time")
        await asyncio.sleep(0.0005)
    return time.perf_counter()


async def _key_latencies(app, screen, presses, pause=0.03):
    """Seconds from each space press to a frame that shows the new step number."""
    import re
    latencies = []
    for _ in range(presses):
        shown = re.compile(f"step {app.trainer.step_count + 1}(?![0-9])")
        screen.clear()
        start = time.perf_counter()
        app.simulate_key("space")
        latencies.append(await _until(lambda: shown.search(screen.text)) - start)
        await asyncio.sleep(pause)  # let the frame's timers settle, as between key presses
    return latencies


async def _live_app(seconds, presses, size=(120, 36), scenario="circle"):
    from gradstep.scenarios import load_scenario
    from gradstep.tui.widgets.loss_plot import LossPlot
    from gradstep.tui.widgets.status_line import StatusLine
    from gradstep.workspace import Workspace

    app, screen = recorded_app(Workspace.from_scenario(load_scenario(scenario)))
    async with app.run_test(size=size, headless=False) as pilot:
        await pilot.pause()
        latencies = await _key_latencies(app, screen, presses)
        redraws = count_calls(app.query_one(StatusLine), "update_from")
        panes = count_calls(app.query_one(LossPlot), "update_from")
        steps, frames = app.trainer.step_count, screen.frames
        screen.clear()
        start = time.perf_counter()
        app.simulate_key("r")
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - start
        shows_rate = "steps/s" in screen.text  # the status line's rate, after 0.5 s
        result = {
            "steps_per_s": (app.trainer.step_count - steps) / elapsed,
            "redraws_per_s": redraws[0] / elapsed,
            "pane_redraws_per_s": panes[0] / elapsed,
            "frames_per_s": (screen.frames - frames) / elapsed,
            "status_shows_steps_per_s": shows_rate,
        }
        app.simulate_key("r")
        await _until(lambda: not app.running)
    result.update(key_latency_ms=1000 * statistics.median(latencies),
                  key_latency_max_ms=1000 * max(latencies), presses=presses,
                  seconds=seconds)
    return result


def bench_app(seconds=5.0, presses=20):
    """The circle scenario in the app (frames recorded): space-to-screen latency paused (median
    of `presses`), then `r` for `seconds`: steps/s, status redraws/s, costly-pane redraws/s and
    frames/s."""
    return asyncio.run(_live_app(seconds, presses))


# ---- big: a 512×512 layer in the grid, a million-row loss history ------------------------

def _median_ms(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def million_history(rows=1_000_000, seed=0):
    """A History of `rows` evaluations, filled in one go: a noisy decaying loss."""
    from gradstep.history import History

    rng = np.random.default_rng(seed)
    steps = np.arange(rows, dtype=float)
    train = np.exp(-steps / (rows / 5)) + 0.05 * rng.random(rows)
    return History(np.vstack([steps, steps // 100, train, train * 1.1, np.full(rows, 0.9)]))


async def _big_panes(repeats, size=(120, 36)):
    from types import SimpleNamespace

    from gradstep.edits import Resize
    from gradstep.lesson import Lesson
    from gradstep.scenarios import load_scenario
    from gradstep.tui.widgets.loss_plot import LossPlot
    from gradstep.tui.widgets.weights_grid import WeightsGrid
    from gradstep.workspace import Workspace

    trainer = load_scenario("circle").build()
    trainer.apply(Resize(1, 512))
    trainer.apply(Resize(2, 512))
    app, screen = recorded_app(Workspace(trainer, Lesson("big")))
    async with app.run_test(size=size, headless=False) as pilot:
        app.layer = 1                      # W1: 512×512
        app.redraw()
        await pilot.pause()
        grid = app.query_one(WeightsGrid)
        assert grid.dims == (512, 512)
        rows = grid.scrollable_content_region.height

        def render_grid():
            for y in range(rows):
                grid.render_line(y)

        async def key_to_frame(key):
            frames = screen.frames
            start = time.perf_counter()
            app.simulate_key(key)
            done = await _until(lambda: screen.frames > frames)
            await asyncio.sleep(0.02)
            return done - start

        moves = [await key_to_frame(key) for key in ("down", "right", "pagedown", "end") * 5]
        nudges = [await key_to_frame("plus") for _ in range(repeats)]
        result = {
            "grid_update_ms": _median_ms(lambda: grid.update_from(app.trainer, 1), repeats),
            "grid_render_ms": _median_ms(render_grid, repeats),
            "grid_rows": rows,
            "grid_move_to_frame_ms": 1000 * statistics.median(moves),
            "grid_edit_to_frame_ms": 1000 * statistics.median(nudges),
        }
        plot = app.query_one(LossPlot)
        history = million_history()
        fake = SimpleNamespace(history=history,
                               latest=lambda: (int(history.last("step")), None))
        result["plot_rows"] = len(fake.history)
        result["plot_update_ms"] = _median_ms(lambda: plot.update_from(fake), repeats)
        result["plot_render_ms"] = _median_ms(plot.render, repeats)
        plot.toggle_log()
        result["plot_log_update_ms"] = _median_ms(lambda: plot.update_from(fake), repeats)
    return result


def bench_big(repeats=20):
    """512×512 grid: copy and render (the visible rows), a cursor move or an edit to the next
    frame; loss plot: update_from and render with a million history rows (medians)."""
    return asyncio.run(_big_panes(repeats))


# ---- start-up and memory, each in a fresh process ------------------------------------------

_PEAK_RSS = """
import resource
def peak_rss_kb():
    # VmHWM: this process's own peak. ru_maxrss also counts the parent's resident pages at fork.
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

_FIRST_SCREEN = _PEAK_RSS + """
import sys
from gradstep import cli
import gradstep.tui.app as app_module
from gradstep.tui.recording import recording_driver
from gradstep.workspace import Workspace

class First:  # the first frame a terminal would be sent ends the run
    drawn = False
    def write(self, when, data):
        pass
    def frame(self, when):
        if not self.drawn:
            self.drawn = True
            # the app captures print() while it runs: write to the real stdout
            sys.__stdout__.write(f"drawn {peak_rss_kb()}\\n")
            sys.__stdout__.flush()
            app.exit(0)

def launch(scenario, **options):
    global app
    app = app_module.GradstepApp(Workspace.from_scenario(scenario),
                                 driver_class=recording_driver(First()))
    app.run(size=(120, 36))
    return 0

app_module.launch_app = launch
sys.exit(cli.main(sys.argv[1:]))
"""

_TRAIN_PRESET = _PEAK_RSS + """
import json, sys, time
from gradstep.scenarios import load_scenario
trainer = load_scenario(sys.argv[1]).build()
end = time.perf_counter() + float(sys.argv[2])
while trainer.epoch_count < trainer.settings.epochs and not trainer.diverged \\
        and time.perf_counter() < end:
    trainer.epoch()
print(json.dumps([peak_rss_kb(), trainer.epoch_count, trainer.settings.epochs]))
"""


def bench_startup(runs=3):
    """Seconds from starting `gradstep` (a new Python process, default scenario) to its first
    frame; median of `runs`, and the process's peak RSS by then."""
    times, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", _FIRST_SCREEN],
                                 stdout=subprocess.PIPE, text=True)
        line = child.stdout.readline()
        times.append(time.perf_counter() - start)
        child.communicate(timeout=60)
        if not line.startswith("drawn"):
            raise RuntimeError("gradstep did not draw its first screen")
        rss.append(int(line.split()[1]) / 1024)
    return {"first_screen_s": statistics.median(times), "runs": runs,
            "app_rss_mb": max(rss)}


def _preset_memory(name, seconds):
    out = subprocess.run([sys.executable, "-c", _TRAIN_PRESET, name, str(seconds)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    rss_kb, epochs, wanted = json.loads(out)
    return {"preset": name, "peak_rss_mb": rss_kb / 1024, "epochs": epochs,
            "epochs_wanted": wanted}


def bench_memory(names=None, seconds=3.0):
    """Peak RSS of each shipped scenario, built and trained for its epochs (at most `seconds`)
    in its own process; two processes at a time."""
    from gradstep.scenarios.scenario import preset_names

    names = preset_names() if names is None else names
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda n: _preset_memory(n, seconds), names))


# ---- all of it ------------------------------------------------------------------------------

def run_bench(seconds=2.0, quick=False):
    """Every section. `seconds` scales the timed parts; quick=True is a fast smoke run (tests):
    fewer rounds, a smaller large case, two presets."""
    rounds = 2 if quick else 5
    return {
        "engine": [bench_case(case, seconds, rounds) for case in CASES],
        "sweep": bench_sweep(20, 200, 2) if quick else bench_sweep(),
        "large": [bench_large(dtype, seconds, rounds, 1024 if quick else 4096)
                  for dtype in ("float32", "float64")],
        "app": bench_app(min(max(2.5 * seconds, 1.0), 30), 5 if quick else 20),
        "big": bench_big(3 if quick else 20),
        "startup": bench_startup(1 if quick else 3),
        "memory": bench_memory(["circle", "house-prices"] if quick else None,
                               min(seconds, 0.5) if quick else max(seconds, 3.0)),
    }


def format_table(results):
    lines = [f"{'engine case':36} {'steps/s':>10} {'hand loop':>10} {'slower by':>10}"]
    for row in results["engine"]:
        lines.append(f"{row['case']:36} {row['steps_per_s']:10,.0f} "
                     f"{row['hand_loop_steps_per_s']:10,.0f} {row['ratio']:9.2f}×")
    lines.append("slower by = hand-loop steps/s ÷ gradstep steps/s, best of alternating rounds "
                 "(target ≤ 1.5×)")
    if "sweep" in results:
        w = results["sweep"]
        target = "target ≥ 10×" if (w["seeds"], w["steps"]) == (100, 2000) else \
            "the target, ≥ 10×, is for 100 seeds × 2,000 steps"
        lines += ["", f"sweep: {w['case']}",
                  f"  together {w['sweep_s']:.2f} s ({w['copy_steps_per_s']:,.0f} steps/s), one "
                  f"after another {w['sequential_s']:.2f} s "
                  f"({w['sequential_steps_per_s']:,.0f} steps/s)",
                  f"  {w['speedup']:.1f}× faster ({target}); weights within "
                  f"{w['max_weight_difference']:.1e} of each other",
                  "  best of alternating rounds, each from the same start; together includes "
                  "building the sweep and writing every copy back"]
    if "large" in results:
        lines += ["", f"{'large case':36} {'steps/s':>10} {'GFLOP/s':>10} {'matmul f32':>10} "
                      f"{'share':>7}"]
        for row in results["large"]:
            lines.append(f"{row['case']:36} {row['steps_per_s']:10,.1f} {row['gflops']:10.1f} "
                         f"{row['matmul_float32_gflops']:10.1f} {row['share_of_matmul']:7.0%}")
        lines.append("GFLOP/s = every matmul FLOP of trainer.run (steps and epoch-end "
                     "evaluations) ÷ time; matmul f32 = np.matmul float32 on the step's shapes, "
                     "alternating rounds (target ≥ 60% for float32)")
    if "app" in results:
        a = results["app"]
        lines += ["", "live app (circle, headless, 120×36)",
                  f"  running: {a['steps_per_s']:,.0f} steps/s (target ≥ 10,000); status line "
                  f"{a['redraws_per_s']:.1f} redraws/s (target ≥ 10); plot, output and sums "
                  f"{a['pane_redraws_per_s']:.1f}/s; {a['frames_per_s']:.1f} frames/s; "
                  f"steps/s shown: {'yes' if a['status_shows_steps_per_s'] else 'NO'}",
                  f"  space → new step on screen: median {a['key_latency_ms']:.1f} ms, max "
                  f"{a['key_latency_max_ms']:.1f} ms over {a['presses']} presses "
                  f"(target ≤ 50 ms median)"]
    if "big" in results:
        b = results["big"]
        lines += ["", "big panes (medians)",
                  f"  512×512 grid: update {b['grid_update_ms']:.2f} ms, render "
                  f"{b['grid_rows']} rows {b['grid_render_ms']:.2f} ms, cursor move → frame "
                  f"{b['grid_move_to_frame_ms']:.1f} ms, edit (+) → frame "
                  f"{b['grid_edit_to_frame_ms']:.1f} ms",
                  f"  loss plot, {b['plot_rows']:,} rows: update {b['plot_update_ms']:.1f} ms "
                  f"(log y {b['plot_log_update_ms']:.1f} ms), render {b['plot_render_ms']:.1f} ms"]
    if "startup" in results:
        s = results["startup"]
        lines += ["", f"start-up: first screen {s['first_screen_s']:.2f} s after process start "
                      f"(median of {s['runs']}, target < 1 s); app peak RSS "
                      f"{s['app_rss_mb']:.0f} MB"]
    if "memory" in results:
        lines += ["", f"{'peak memory (trained headless)':36} {'MB':>10} {'epochs':>10}"]
        for row in results["memory"]:
            lines.append(f"{row['preset']:36} {row['peak_rss_mb']:10.0f} "
                         f"{row['epochs']:>5}/{row['epochs_wanted']:<4}")
        lines.append("target < 200 MB for every shipped scenario")
    return "\n".join(lines)
