"""The prompts that keep a person's work: names to save, open and export to, and the question
asked before unsaved work would be lost. What they do is the workspace's (workspace.py);
here are only the questions, and the notifications that answer them.

Every prompt's callback returns an error message (the prompt stays open and shows it, nothing
changed) or None (done).

In a browser (gradstep serve) nothing is written on the server: a save or an export is sent to
the browser as a download (App.deliver_binary), under the name the person typed, and reads go
through the workspace's `reads` (only under the server's --root, or nowhere). The app's
`downloads` is then a Downloads; in a terminal it is None.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from gradstep.errors import GradstepError
from gradstep.files import download_name, shown
from gradstep.session import SUFFIX
from gradstep.tui import views
from gradstep.tui.screens.export_menu import ExportMenu
from gradstep.tui.screens.prompt import TextPrompt, failure
from gradstep.tui.screens.unsaved import UnsavedChanges

EXPORTS = {
    "weights": ("Export the weights as JSON to", "{stem}-weights.json"),
    "loss": ("Export the loss history as CSV to", "{stem}-loss.csv"),
    "onnx": ("Export the network as ONNX to", "{stem}.onnx"),
    "safetensors": ("Export the weights for PyTorch to", "{stem}.safetensors"),
    "screenshot": ("Save a screenshot (SVG) to", "{stem}.svg"),
}
DOWNLOADS = {  # in a browser: the question, the suffix a name gets, the MIME type
    "weights": ("Download the weights as JSON, named", ".json", "application/json"),
    "loss": ("Download the loss history as CSV, named", ".csv", "text/csv; charset=utf-8"),
    "onnx": ("Download the network as ONNX, named", ".onnx", "application/octet-stream"),
    "safetensors": ("Download the weights for PyTorch, named", ".safetensors",
                    "application/octet-stream"),
    "screenshot": ("Download a screenshot (SVG), named", ".svg", "image/svg+xml"),
}
SESSION_MIME = "application/octet-stream"


class Downloads:
    """Files sent to the browser instead of written: what to do when each one has arrived.
    Textual posts DeliveryComplete (or DeliveryFailed) with the key deliver_binary returned."""

    def __init__(self) -> None:
        self.pending: dict[str, tuple[str, Callable[[], None]]] = {}


def _send(app, data: bytes, name: str, mime: str, arrived: Callable[[], None]) -> None:
    """Send bytes to the browser as the file `name`; arrived() once the browser has them."""
    key = app.deliver_binary(io.BytesIO(data), save_filename=name, mime_type=mime)
    if key is None:
        app.notify(f"could not send {name}: no browser is connected", severity="error")
        return
    app.downloads.pending[key] = (name, arrived)
    app.notify(f"sending {name} to your browser (if nothing arrives, allow this page's "
               "pop-ups and try again)", title="download")


def arrived(app, key: str) -> None:
    """The browser has the file sent under `key`."""
    if app.downloads is not None and key in app.downloads.pending:
        _, then = app.downloads.pending.pop(key)
        then()


def failed(app, key: str, error: BaseException) -> None:
    if app.downloads is not None and key in app.downloads.pending:
        name, _ = app.downloads.pending.pop(key)
        app.notify(f"{name} did not reach your browser ({error})", severity="error",
                   title="not downloaded")


def _download_default(text: str, suffix: str) -> str:
    try:
        return download_name(text, suffix)
    except GradstepError:
        return f"gradstep{suffix}"


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
    if app.downloads is not None:
        _download_session(app, then)
        return
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


def _download_session(app, then) -> None:
    """In a browser: ask for a name every time, send the session, then() once it arrived."""
    path = app.workspace.path
    default = _download_default(path.name if path else app.workspace.stem, SUFFIX)

    def send(text: str) -> str | None:
        try:
            name = download_name(text, SUFFIX)
            data, state = app.workspace.save_bytes()
        except GradstepError as e:
            return str(e)

        def done() -> None:
            app.workspace.mark_saved(state)  # the person has the file
            app.notify(f"saved {name} (in your browser's downloads)", title="saved")
            then()

        _send(app, data, name, SESSION_MIME, done)
        return None

    app.push_screen(TextPrompt("Download the session as (a .npz file your browser saves)",
                               default, send))


def _refused(app, doing: str) -> bool:
    """Say so when no file may be opened (a browser without --root)."""
    refusal = app.workspace.reads.refusal
    if refusal:
        app.notify(refusal, severity="error", title=f"cannot {doing}")
    return refusal is not None


def prompt_open(app) -> None:
    """Ask for a session file to open (after asking about unsaved changes)."""
    if _refused(app, "open files"):
        return
    reads = app.workspace.reads

    def opened(text: str) -> str | None:
        try:
            path = app.workspace.open_session(text)
        except GradstepError as e:
            return str(e)
        views.opened(app, f"opened {reads.shown(path)}: step {app.trainer.step_count}")
        return None

    path = app.workspace.path
    default = "" if path is None or (reads.root and not path.is_relative_to(reads.root)) else \
        reads.shown(path)
    question = "Open a session file (.npz) from the served folder" if reads.confined else \
        "Open a session file (.npz)"
    ask_unsaved(app, "open another session",
                lambda: app.push_screen(TextPrompt(question, default, opened)))


def export_menu(app) -> None:
    svg = app.export_screenshot()  # what is on screen now, before the menu covers it
    app.push_screen(ExportMenu(), lambda kind: prompt_export(app, kind, svg) if kind else None)


def prompt_export(app, kind: str, svg: str | None = None) -> None:
    stem = app.workspace.stem
    if kind == "load_weights":
        if _refused(app, "load weights"):
            return
        where = " in the served folder" if app.workspace.reads.confined else ""
        ask_unsaved(app, "load weights", lambda: app.push_screen(TextPrompt(
            f"Load weights from a JSON file{where} (same layer sizes)", f"{stem}-weights.json",
            lambda text: _load_weights(app, text))))
        return
    if kind == "screenshot" and svg is None:
        svg = app.export_screenshot()
    question, default = EXPORTS[kind]
    if app.downloads is not None:
        _download_export(app, kind, default.format(stem=stem), svg)
        return

    def write(text: str) -> str | None:
        try:
            path = app.workspace.export(kind, text, svg if kind == "screenshot" else None)
        except GradstepError as e:
            return str(e)
        app.notify(f"wrote {shown(path)}", title="exported")
        return None

    app.push_screen(TextPrompt(question, default.format(stem=stem), write))


def _download_export(app, kind: str, default: str, svg: str | None) -> None:
    question, suffix, mime = DOWNLOADS[kind]

    def send(text: str) -> str | None:
        try:
            name = download_name(text, suffix)
            data = app.workspace.export_bytes(kind, svg if kind == "screenshot" else None)
        except GradstepError as e:
            return str(e)
        _send(app, data, name, mime, lambda: app.notify(
            f"exported {name} (in your browser's downloads)", title="exported"))
        return None

    app.push_screen(TextPrompt(question, _download_default(default, suffix), send))


def _load_weights(app, text: str) -> str | None:
    try:
        path = app.workspace.load_weights(text)
    except GradstepError as e:
        return str(e)
    finally:
        app.redraw()
    app.notify(f"loaded weights from {app.workspace.reads.shown(path)} (u undoes it)",
               title="weights loaded")
    return None
