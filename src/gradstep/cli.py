"""The command line: parse arguments, call the core, print.

    gradstep [SCENARIO | FILE.npz]   the app (gradstep.tui.app.launch_app), on a scenario or
                                 a saved session
    gradstep presets             the shipped scenarios
    gradstep train SCENARIO      train headless and print the result (--json, --csv, --save)
    gradstep train FILE.npz      continue a saved session headless
    gradstep sweep SCENARIO --seeds N   train seeds 0..N-1 together; the spread of Σw, Σ|w|,
                                 the losses and accuracy across them (--json)
    gradstep bench               steps per second against a plain numpy loop (--json)
    gradstep export SOURCE OUT   a trained network as .onnx, .safetensors, .json or .csv
    gradstep serve [SCENARIO]    the app in web browsers (gradstep.web; --host, --port, --root)

A subcommand is one entry of COMMANDS: a function adding its arguments to a subparser and a
function running it. Every bad input ends with exit status 2 and one line on stderr,
`gradstep: error: ...` (control characters made visible). Ctrl-C and SIGTERM stop a run after
its current step and keep it (interrupts.py): exit status 130 and 143.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gradstep.budget import memory_budget
from gradstep.errors import GradstepError
from gradstep.names import trainer_names
from gradstep.export import history_csv
from gradstep.files import ReadOnlyError, atomic_write_text, writable_path
from gradstep.interrupts import NAMES, Interrupted, Progress, Signals
from gradstep.interchange.command import add_export, run_export
from gradstep.session import load_session, save_session
from gradstep.scenarios.scenario import DEFAULT_SCENARIO, list_presets, load_scenario
from gradstep.live import parse_pace
from gradstep.pair import Lockstep
from gradstep.settings import check_learning_rate
from gradstep.sweep import MAX_COPIES, check_size
from gradstep.sweep import summary as sweep_summary
from gradstep.sweep import train as train_together
from gradstep.text import one_line, printable
from gradstep.web.command import add_serve, check_root, run_serve

PROG = "gradstep"
MAX_STEPS = 100_000_000
SHOWN_NEURON_SUMS = 8
MAX_MESSAGE = 1000   # characters of an error line


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(" ".join(message.split()))


# --- argument types ------------------------------------------------------------------------------


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    if not 1 <= value <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_STEPS:,}, "
                                         f"got {value}")
    return value


def seed_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 0, got {text!r}")
    if value < 0 or value >= 2**63:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 2**63 - 1, got {value}")
    return value


def learning_rate(text: str) -> float:
    try:
        return check_learning_rate(float(text))
    except (ValueError, GradstepError) as error:
        reason = getattr(error, "reason", "must be a number")
        raise argparse.ArgumentTypeError(f"{reason.split(', got')[0]}, got {text!r}") from None


# --- presets ---------------------------------------------------------------------------------------


def add_presets(parser: argparse.ArgumentParser) -> None:
    pass


def run_presets(args: argparse.Namespace) -> int:
    presets = list_presets()
    width = max((len(s.name) for s in presets), default=0)
    for scenario in presets:
        print(f"{printable(scenario.name, 80):<{width}}  {printable(scenario.title, 200)}")
    return 0


# --- train -------------------------------------------------------------------------------------------


def add_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO",
                        help="a shipped scenario name, the path of a .toml file, or a saved "
                             f"session (.npz) to continue (default: {DEFAULT_SCENARIO})")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=positive_int, help="optimizer steps to take")
    length.add_argument("--epochs", type=positive_int,
                        help="epochs to take (default: the scenario's [training] epochs)")
    parser.add_argument("--seed", type=seed_int, help="seed of the network and the batches")
    parser.add_argument("--lr", type=learning_rate, help="learning rate instead of the scenario's")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--csv", metavar="FILE", help="write the loss history to FILE")
    parser.add_argument("--save", metavar="FILE",
                        help="save the whole session to FILE (.npz) when training ends")
    parser.add_argument("--force", action="store_true",
                        help="replace a read-only --save or --csv file (otherwise refused)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress line on stderr (shown only when stderr is a terminal)")


def check_target(text: str, option: str, force: bool = False) -> Path:
    """An output path that can be written, checked before training starts."""
    try:
        return writable_path(text, force=force)
    except ReadOnlyError as error:
        raise UsageError(f"{option}: {error} (--force replaces it)") from None
    except GradstepError as error:
        raise UsageError(f"{option}: {error}") from None


def is_session(name: str) -> bool:
    return name.endswith(".npz")


def open_source(args: argparse.Namespace):
    """(trainer, Lesson, default epochs) from a scenario or a session."""
    if is_session(args.scenario):
        if args.seed is not None:
            raise UsageError("--seed reseeds a scenario; a saved session keeps its own seeds")
        trainer, label = load_session(args.scenario)
        if args.lr is not None:
            trainer.change_settings(learning_rate=args.lr)
        return trainer, label, trainer.settings.epochs
    scenario = load_scenario(args.scenario)
    trainers = scenario.build_all(seed=args.seed, learning_rate=args.lr)
    if len(trainers) > 1:  # side by side: B rides along, in lockstep (see run_train)
        args.compare = (trainers[1], scenario.compare.title)
    return trainers[0], scenario.lesson, scenario.settings.epochs


def run_train(args: argparse.Namespace) -> int:
    csv_path = check_target(args.csv, "--csv", args.force) if args.csv is not None else None
    save_path = check_target(args.save, "--save", args.force) if args.save is not None else None
    args.compare = None
    trainer, lesson, default_epochs = open_source(args)
    target = trainer if args.compare is None else Lockstep([trainer, args.compare[0]])
    steps = args.steps if args.steps is not None else \
        trainer.steps_for(args.epochs or default_epochs)
    signals = args.signals
    progress = Progress(trainer, steps, signals,
                        enabled=not args.quiet and sys.stderr.isatty())
    try:
        with signals.run():
            done = target.run(steps=steps, stop=progress)
    finally:
        progress.clear()
    stopped = None
    if signals.stop_requested:
        stopped = f"stopped by {NAMES[signals.signum]} after {done:,} of {steps:,} steps"
    result = summarize(lesson.name, trainer)
    if args.compare is not None:
        result["compare"] = {"title": args.compare[1],
                             **summarize(lesson.name, args.compare[0])}
    if csv_path is not None:
        write_history(csv_path, trainer, args.force)
    if save_path is not None:
        try:
            save_session(save_path, trainer, lesson, force=args.force)
        except GradstepError as error:
            raise UsageError(f"--save: {error}") from None
    if args.json:
        print(json.dumps(result, allow_nan=False))
    else:
        print(render(lesson, trainer, result, stopped))
        if args.compare is not None:
            print(f"\nB: {printable(args.compare[1], 300)}")
            print("\n".join(render(lesson, args.compare[0], result["compare"])
                            .splitlines()[1:]))
    if stopped:
        print(f"{PROG}: {stopped}; what was trained is shown"
              + (" and written" if csv_path or save_path else ""), file=sys.stderr)
    return signals.status


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _clean(array: np.ndarray) -> Any:
    """A nested list with NaN and infinities as None."""
    if array.ndim == 0:
        return _finite(array)
    return [_clean(item) for item in array]


def summarize(name: str, trainer) -> dict[str, Any]:
    """The run as plain JSON-ready values."""
    evaluation = trainer.evaluate()
    network = trainer.network
    readouts = trainer.readouts()
    layers = []
    for layer, w, b in zip(readouts.layers, network.weights, network.biases):
        layers.append({
            "weights": _clean(np.asarray(w, float)),
            "biases": _clean(np.asarray(b, float)) if network.bias else None,
            "sum": _finite(layer.sum),
            "abs_sum": _finite(layer.abs_sum),
            "sq_sum": _finite(layer.sq_sum),
            "neuron_sums": _clean(np.asarray(layer.neuron_sums, float)),
            "gamma": None if layer.gamma is None else _clean(np.asarray(layer.gamma, float)),
            "beta": None if layer.beta is None else _clean(np.asarray(layer.beta, float)),
        })
    metrics = trainer.metrics()
    return {
        "preset": name,
        "steps": trainer.step_count,
        "epochs": trainer.epoch_count,
        "train_loss": _finite(evaluation.train_loss),
        "test_loss": _finite(evaluation.test_loss),
        "accuracy": _finite(evaluation.accuracy),
        "confusion": None if metrics.confusion is None else metrics.confusion.tolist(),
        "r2": _finite(metrics.r2),
        "rmse": _finite(metrics.rmse),
        "diverged": trainer.diverged,
        "layers": layers,
    }


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


def render(lesson, trainer, result: dict[str, Any], stopped: str | None = None) -> str:
    """The human table: the run, then each layer's sums, then a linear network's weights.
    Names and titles came from files: printed printable (no control characters)."""
    lines = [f"{printable(lesson.name, 80)}: {printable(lesson.title, 200)}"]
    accuracy = result["accuracy"]
    figures = [
        ("steps", str(result["steps"])),
        ("epochs", str(result["epochs"])),
        ("train loss", _number(result["train_loss"])),
        ("test loss", _number(result["test_loss"])),
        ("accuracy", "—" if accuracy is None else f"{accuracy:.1%}"),
        ("status", printable(trainer.status, 300) if trainer.diverged else "not diverged"),
    ]
    if stopped:
        figures.append(("stopped", stopped))
    width = max(len(name) for name, _ in figures)
    lines += [f"  {name:<{width}}  {value}" for name, value in figures]
    lines.append("")
    header = ("layer", "shape", "Σw", "Σ|w|", "Σw²", "neuron sums (Σ_i w_ij)")
    rows = []
    for l, layer in enumerate(result["layers"]):
        sums = [_number(s) for s in layer["neuron_sums"]]
        shown = " ".join(sums[:SHOWN_NEURON_SUMS]) + (" …" if len(sums) > SHOWN_NEURON_SUMS else "")
        shape = f"{trainer.network.sizes[l]}×{trainer.network.sizes[l + 1]}"
        rows.append((str(l), shape, _number(layer["sum"]), _number(layer["abs_sum"]),
                     _number(layer["sq_sum"]), shown))
    lines += _table(header, rows)
    optimum = trainer.least_squares()
    if optimum is not None:
        lines.append("")
        lines += _weights_beside_optimum(trainer, optimum)
    return "\n".join(lines)


def _table(header: Sequence[str], rows: list[Sequence[str]]) -> list[str]:
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
    def line(row: Sequence[str]) -> str:
        return "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
    return [line(header)] + [line(row) for row in rows]


def _weights_beside_optimum(trainer, optimum) -> list[str]:
    """Each weight of a one-layer network beside the exact least-squares weight."""
    network = trainer.network
    w_best, b_best = optimum
    features = trainer.raw_train.feature_names
    targets = trainer.raw_train.target_names
    note = " (inputs standardized)" if trainer.settings.standardize else ""
    rows = []
    features = [printable(name, 24) for name in features]
    targets = [printable(name, 24) for name in targets]
    for j, target in enumerate(targets):
        for i, feature in enumerate(features):
            rows.append((f"{feature} → {target}", _number(_finite(network.weights[0][i, j])),
                         _number(_finite(w_best[i, j]))))
        if network.bias:
            rows.append((f"bias → {target}", _number(_finite(network.biases[0][j])),
                         _number(_finite(b_best[j]))))
    return [f"  weights{note}"] + _table(("", "learned", "least squares"), rows)


def write_history(path: Path, trainer, force: bool = False) -> None:
    """The loss history (and the weight sums over time) as CSV, written atomically."""
    try:
        atomic_write_text(path, history_csv(trainer.history, trainer_names(trainer)), force)
    except GradstepError as error:
        raise UsageError(f"--csv: {error}") from None


# --- sweep ---------------------------------------------------------------------------------------

HISTOGRAM_SIZE = (60, 7)  # columns and rows of a histogram: four rows of bars, frame and ticks
HISTOGRAM_INDENT = "      "


def seed_count(text: str) -> int:
    allowed = f"must be a whole number from 1 to {MAX_COPIES:,}"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{allowed}, got {text!r}") from None
    if not 1 <= value <= MAX_COPIES:
        raise argparse.ArgumentTypeError(f"{allowed}, got {value}")
    return value


def add_sweep(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a shipped scenario name or the path of a .toml file")
    parser.add_argument("--seeds", type=seed_count, required=True, metavar="N",
                        help=f"train seeds 0..N-1, as train --seed k does (N: 1 to {MAX_COPIES:,})")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=positive_int, help="optimizer steps to take")
    length.add_argument("--epochs", type=positive_int,
                        help="epochs to take (default: the scenario's [training] epochs)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_sweep(args: argparse.Namespace) -> int:
    if is_session(args.scenario):
        raise UsageError("sweep trains a scenario from seeds 0..N-1; a saved session keeps its "
                         "own seeds: give a scenario name or a .toml file")
    scenario = load_scenario(args.scenario)
    first = scenario.build(seed=0)
    check_size(first, args.seeds)  # before building the other copies
    trainers = [first] + [scenario.build(seed=k) for k in range(1, args.seeds)]
    if args.steps is not None:
        train_together(trainers, steps=args.steps)
    else:
        train_together(trainers, epochs=args.epochs or scenario.settings.epochs)
    seeds = [summarize(scenario.name, trainer) for trainer in trainers]
    summary = sweep_summary(seeds)
    if args.json:
        print(json.dumps({"seeds": seeds, "summary": summary}, allow_nan=False))
    else:
        print(render_sweep(scenario, seeds, summary, color=sys.stdout.isatty()))
    return 0


def render_sweep(scenario, seeds: list[dict[str, Any]], summary: dict[str, Any],
                 color: bool = False) -> str:
    """The spread across seeds: per layer Σw and Σ|w|, then the losses and accuracy, each as
    min, median and max over a histogram."""
    n, diverged = len(seeds), [k for k, r in enumerate(seeds) if r["diverged"]]
    steps, epochs = max(r["steps"] for r in seeds), max(r["epochs"] for r in seeds)
    which = f" (seed{'s' if len(diverged) > 1 else ''} {_seed_list(diverged)})" if diverged else ""
    lines = [f"{scenario.name}: {scenario.title}",
             f"  seeds 0 to {n - 1}, trained together: {steps} steps ({epochs} epochs); "
             f"diverged: {len(diverged)} of {n}{which}"]
    rows: list[tuple[str, dict[str, Any] | None, list[Any], Callable[[Any], str]]] = []
    for l, layer in enumerate(summary["layers"]):
        weights = seeds[0]["layers"][l]["weights"]
        rows.append((f"layer {l} ({len(weights)}×{len(weights[0])})", None, [], _number))
        for key, label in (("sum", "Σw"), ("abs_sum", "Σ|w|")):
            rows.append((f"  {label}", layer[key], [r["layers"][l][key] for r in seeds], _number))
    for key, label, show in (("train_loss", "train loss", _number),
                             ("test_loss", "test loss", _number),
                             ("accuracy", "accuracy", _percent)):
        rows.append((label, summary[key], [r[key] for r in seeds], show))
    width = max(len(label) for label, *_ in rows)
    lines += ["", f"  {'':<{width}}  {'min':<12}{'median':<12}max"]
    for label, spread, values, show in rows:
        if spread is None:
            lines.append(f"  {label}")
            continue
        cells = [show(spread[k]) for k in ("min", "median", "max")]
        lines.append(f"  {label:<{width}}  {cells[0]:<12}{cells[1]:<12}{cells[2]}".rstrip())
        finite = [v for v in values if v is not None]
        if finite:
            lines += [HISTOGRAM_INDENT + line for line in histogram(finite, color).splitlines()]
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _seed_list(seeds: list[int], shown: int = 10) -> str:
    text = ", ".join(map(str, seeds[:shown]))
    return text + (f" and {len(seeds) - shown} more" if len(seeds) > shown else "")


def _distinct_labels(values: list[float]) -> list[str]:
    """Tick labels in as few significant digits as keep different values apart."""
    for digits in range(3, 17):
        labels = [f"{v:.{digits}g}" for v in values]
        if len(set(labels)) == len(set(values)):
            return labels
    return labels


def histogram(values: Sequence[float], color: bool = False, bins: int = 30) -> str:
    """A small plotext histogram of `values` (finite numbers), HISTOGRAM_SIZE large; plain text
    unless `color`."""
    import plotext as plt  # only the sweep draws with plotext on the command line

    values = np.asarray(values, float)
    low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    plt.clear_figure()
    plt.theme("clear")
    plt.bar((edges[:-1] + edges[1:]) / 2, counts, width=1.0, color="blue" if color else None)
    plt.plotsize(*HISTOGRAM_SIZE)
    plt.xlim(low, high)
    ticks = [low, (low + high) / 2, high]
    plt.xticks(ticks, _distinct_labels(ticks))
    top = int(counts.max())
    plt.yticks([0, top], [f"{0:>{len(str(len(values)))}}", f"{top:>{len(str(len(values)))}}"])
    text = plt.build()
    return text if color else plt.uncolorize(text)


# --- bench ---------------------------------------------------------------------------------------


def add_bench(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="about how long each case is measured (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="a fast, rough run: fewer rounds, smaller cases")


def run_bench(args: argparse.Namespace) -> int:
    from gradstep import bench

    if not (math.isfinite(args.seconds) and 0.05 <= args.seconds <= 600):
        raise UsageError("--seconds must be between 0.05 and 600")
    results = bench.run_bench(seconds=args.seconds, quick=args.quick)
    print(json.dumps(results) if args.json else bench.format_table(results))
    return 0


# --- the app -------------------------------------------------------------------------------------


def pace(text: str) -> float | None:
    try:
        return parse_pace(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_app(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO",
                        help="a shipped scenario name, a .toml path, or a saved session (.npz) "
                             f"(default: {DEFAULT_SCENARIO})")
    parser.add_argument("--pace", type=pace, default=argparse.SUPPRESS, metavar="N|max",
                        help="epochs per second that r plays at, or max (default: the "
                             "scenario's)")
    # A tab of gradstep serve: files go to the browser, reads stay under --root.
    parser.add_argument("--web", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)


def run_app(args: argparse.Namespace) -> int:
    """Check the scenario (or session file), then hand it to the Textual app (imported now)."""
    if args.root is not None and not args.web:
        raise UsageError("--root is an option of gradstep serve")
    web = {"web": True, "root": args.root and check_root(args.root)} if args.web else {}
    if is_session(args.scenario):
        load_session(args.scenario)  # a bad file is refused here, in one line, before the app
        source = {"session": args.scenario}
    else:
        source = {"scenario": load_scenario(args.scenario)}
    from gradstep.tui.app import launch_app  # imported here: the headless commands skip Textual

    status = launch_app(**source, pace=getattr(args, "pace", "lesson"), **web)
    return status if isinstance(status, int) else 0


# --- the parser and main ------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {
    "presets": Command("list the shipped scenarios", add_presets, run_presets),
    "train": Command("train a scenario headless and print the result", add_train, run_train),
    "sweep": Command("train seeds 0..N-1 of a scenario together and show the spread of the "
                     "weight sums, losses and accuracy", add_sweep, run_sweep),
    "bench": Command("measure optimizer steps per second against a plain numpy loop",
                     add_bench, run_bench),
    "export": Command("write a trained network for other tools (ONNX, safetensors, ...)",
                      add_export, run_export),
    "serve": Command("serve the app to web browsers (one app process per tab)",
                     add_serve, run_serve),
}
"""Subcommands by name; a new one is one more entry here."""


def build_parser() -> Parser:
    parser = Parser(prog=PROG, usage=f"{PROG} [SCENARIO | FILE.npz] [--pace N|max]\n"
                    f"       {PROG} COMMAND ...",
                    description="A terminal playground for neural-network weights. Without a "
                    f"command, opens the app on SCENARIO (a shipped name, a .toml file or a saved "
                    f"session; default {DEFAULT_SCENARIO}): {PROG} plane --pace 5. "
                    f"`{PROG} presets` lists the shipped scenarios.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.help, description=command.help,
                                  prog=f"{PROG} {name}")
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def build_app_parser() -> Parser:
    parser = Parser(prog=PROG, description="Open the app on a scenario. Commands: "
                    f"{', '.join(COMMANDS)} (see {PROG} --help).")
    add_app(parser)
    parser.set_defaults(run=run_app)
    return parser


def parse(argv: list[str]) -> argparse.Namespace:
    """A subcommand's arguments, or `gradstep [SCENARIO]` when the first word is no command."""
    first = next((a for a in argv if not a.startswith("-")), None)
    wants_help = any(a in ("-h", "--help") for a in argv)
    if first in COMMANDS or (wants_help and first is None):
        return build_parser().parse_args(argv)
    return build_app_parser().parse_args(argv)


def error_line(message: str) -> str:
    """One line for stderr: whitespace runs as one space, control characters visible."""
    return f"{PROG}: error: {one_line(message, MAX_MESSAGE)}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        memory_budget()  # a bad GRADSTEP_MEMORY_BUDGET is said first, once
        args = parse(argv)
        if args.run in (run_app, run_serve):  # the app reads its keys itself (Ctrl-C is a
            return args.run(args)               # key there); the server handles its signals
        with Signals() as signals:
            args.signals = signals
            return args.run(args)
    except (UsageError, GradstepError) as error:
        print(error_line(str(error)), file=sys.stderr)
        return 2
    except MemoryError:
        print(error_line("ran out of memory; set GRADSTEP_MEMORY_BUDGET lower than the memory "
                         "this machine has free"), file=sys.stderr)
        return 2
    except Interrupted as stop:
        print(f"{PROG}: interrupted by {stop}; nothing more was written", file=sys.stderr)
        return stop.status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted by Ctrl-C; nothing more was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `gradstep train x | head`: the reader left; nothing to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush is quiet too
        return 0
    except SystemExit as done:  # --help: argparse printed it and asked to exit
        return done.code if isinstance(done.code, int) else 0
