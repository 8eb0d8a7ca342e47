"""The prompts that keep a person's work: names to save, open and export to, and the question
asked before unsaved work would be lost. What they do is the workspace's (workspace.py);
here are only the questions, and the notifications that answer them.

Every prompt's callback returns an error message (the prompt stays open and shows it, nothing
changed) or None (done).
"""

from __future__ import annotations

from gradstep.errors import GradstepError
from gradstep.files import shown
from gradstep.session import SUFFIX
from gradstep.tui.screens.export_menu import ExportMenu
from gradstep.tui.screens.prompt import TextPrompt, failure
from gradstep.tui.screens.unsaved import UnsavedChanges

EXPORTS = {
    "weights": ("Export the weights as JSON to", "{stem}-weights.json"),
    "loss": ("Export the loss history as CSV to", "{stem}-loss.csv"),
    "screenshot": ("Save a screenshot (SVG) to", "{stem}.svg"),
}


def ask_unsaved(app, doing: str, then) -> None:
    """Call then() now, or after asking whether to save the unsaved changes first."""
    if not app.workspace.unsaved:
        then()
        return

    def chosen(choice: str | None) -> None:
        if choice == "save":
            save_then(app, then)
        elif choice == "discard":
            then()

    app.push_screen(UnsavedChanges(doing), chosen)


def move(app, move, done: str, nothing: str) -> None:
    """Undo or redo, and say what happened."""
    label = move()
    if label is None:
        app.notify(nothing, severity="warning")
    else:
        app.notify(f"{done}: {label} (now at step {app.trainer.step_count})")
    app.redraw()


def _saved(app, text: str | None) -> str | None:
    try:
        path = app.workspace.save(text)
    except GradstepError as e:
        return str(e)
    except Exception as e:  # noqa: BLE001 - a save never takes the app (and the work) down
        return failure(e)
    app.notify(f"saved {shown(path)}", title="saved")
    return None


def save_then(app, then) -> None:
    """Save (asking for a file name the first time), then call then() if it was saved."""
    if app.workspace.path is not None:
        error = _saved(app, None)
        if error:
            app.notify(error, severity="error", title="not saved")
        else:
            then()
        return
    app.push_screen(TextPrompt("Save the session as (a .npz file; the folder must exist)",
                               f"{app.workspace.stem}{SUFFIX}", lambda text: _saved(app, text)),
                    lambda saved: then() if saved else None)


def prompt_open(app) -> None:
    def opened(text: str) -> str | None:
        try:
            path = app.workspace.open_session(text)
        except GradstepError as e:
            return str(e)
        app.opened(f"opened {shown(path)}: step {app.trainer.step_count}")
        return None

    app.push_screen(TextPrompt("Open a session file (.npz)", str(app.workspace.path or ""),
                               opened))


def export_menu(app) -> None:
    svg = app.export_screenshot()  # what is on screen now, before the menu covers it
    app.push_screen(ExportMenu(), lambda kind: prompt_export(app, kind, svg) if kind else None)


def prompt_export(app, kind: str, svg: str | None = None) -> None:
    stem = app.workspace.stem
    if kind == "load_weights":
        ask_unsaved(app, "load weights", lambda: app.push_screen(TextPrompt(
            "Load weights from a JSON file (same layer sizes)", f"{stem}-weights.json",
            lambda text: _load_weights(app, text))))
        return
    if kind == "screenshot" and svg is None:
        svg = app.export_screenshot()
    question, default = EXPORTS[kind]

    def write(text: str) -> str | None:
        try:
            path = app.workspace.export(kind, text, svg if kind == "screenshot" else None)
        except GradstepError as e:
            return str(e)
        app.notify(f"wrote {shown(path)}", title="exported")
        return None

    app.push_screen(TextPrompt(question, default.format(stem=stem), write))


def _load_weights(app, text: str) -> str | None:
    try:
        path = app.workspace.load_weights(text)
    except GradstepError as e:
        return str(e)
    finally:
        app.redraw()
    app.notify(f"loaded weights from {shown(path)} (u undoes it)", title="weights loaded")
    return None
