"""`gradstep export SOURCE OUT`: a network for other tools, in the format OUT's suffix names.

SOURCE is a saved session (.npz), exported as it was saved, or a scenario (a shipped name or a
.toml path), trained for its run first as `gradstep train` does. Everything that can be checked
before training is: the suffix, that OUT can be written, that the format's extra is installed.
The formats themselves are imported when the command runs, so the app's start-up skips them.
"""

from __future__ import annotations

import argparse

from gradstep.errors import GradstepError
from gradstep.files import ReadOnlyError, shown, writable_path
from gradstep.scenarios.scenario import load_scenario
from gradstep.session import load_session

SUFFIXES = (".onnx", ".safetensors", ".json", ".csv")  # formats.FORMATS, in step by a test


def add_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="a saved session (.npz), or a shipped scenario name or a "
                                       ".toml path, trained for its epochs first")
    parser.add_argument("out", help=f"the file to write; its suffix chooses the format: "
                                    f"{', '.join(SUFFIXES)}")
    parser.add_argument("--force", action="store_true",
                        help="replace OUT even when it is read-only (otherwise refused)")


def open_trained(source: str):
    """A session's trainer as saved, or a scenario's trainer after its run."""
    if source.endswith(".npz"):
        return load_session(source)[0]
    scenario = load_scenario(source)
    trainer = scenario.build()
    trainer.run(epochs=scenario.settings.epochs)
    return trainer


def run_export(args: argparse.Namespace) -> int:
    from gradstep.interchange.formats import format_for, write_export

    fmt = format_for(args.out)
    try:
        path = writable_path(args.out, force=args.force)
    except ReadOnlyError as error:
        raise GradstepError(f"{error} (--force replaces it)") from None
    fmt.check()
    trainer = open_trained(args.source)
    write_export(trainer, path, fmt, force=args.force)
    print(f"wrote {shown(path)}: {fmt.describe(trainer)}")
    return 0
