"""The server behind gradstep serve: textual-serve's Server with gradstep's page and manners.

textual-serve starts the command below once per browser tab (a websocket), relays the keys and
the screen, and hands out the files the app delivers (App.deliver_binary) as downloads. What
gradstep changes:

- The page (templates/app_index.html): its title and start dialog name gradstep and the lesson,
  never the command line (textual-serve shows the command, which holds the server's paths). Its
  URLs are relative, so it works under whatever address the browser used; it loads nothing
  from other sites.
- The start-up line says where to connect and who can; request logs are off.
- A websocket from another site's page is refused (a page a person visits could otherwise
  start sessions on their machine and read the screen); bound to this machine only, the page
  must be addressed as this machine (no DNS rebinding).
- Ctrl+C closes every tab's session at once (each app process is told to quit) instead of
  waiting a minute for them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import shlex
import socket
import sys
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

from gradstep.errors import GradstepError
from gradstep.web.command import bind_error

TEMPLATES = Path(__file__).with_name("templates")
TITLE_LENGTH = 100
LOCAL_NAMES = {"localhost", "localhost."}


def page_title(lesson) -> str:
    """'gradstep — <lesson title>': the title comes from a file, so no control or format
    characters, one line, at most TITLE_LENGTH characters. (The template escapes HTML.)"""
    text = "".join(c if not unicodedata.category(c).startswith(("C", "Z")) or c == " " else " "
                   for c in lesson.heading)
    text = " ".join(text.split())
    if len(text) > TITLE_LENGTH:
        text = text[:TITLE_LENGTH - 1].rstrip() + "…"
    return f"gradstep — {text}" if text and text != "gradstep" else "gradstep"


def app_command(served: str, root: Path | None) -> str:
    """The shell command each tab runs: this Python's gradstep, in browser mode."""
    words = [sys.executable, "-m", "gradstep", "--web"]
    if root is not None:
        words.append(f"--root={root}")
    words.append(served)
    return "exec " + shlex.join(words)  # exec: the tab's process is gradstep itself, not a shell


def is_loopback(host: str) -> bool:
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def announcement(host: str, port: int, root: Path | None) -> str:
    if is_loopback(host):
        who = "only this machine can connect; --host 0.0.0.0 to share it"
    else:
        who = "shared: anyone who can reach this machine can connect"
    reads = f"tabs may open files under {root}" if root is not None else \
        "opening files is off (--root DIR allows a folder)"
    return (f"gradstep serve: {url(host, port)} ({who})\n"
            f"  each tab runs its own gradstep; saves and exports download to the browser; "
            f"{reads}\n"
            f"  Ctrl+C stops the server")


class GradstepServer(Server):
    def __init__(self, command: str, *, host: str, port: int, title: str, announce: str) -> None:
        super().__init__(command, host=host, port=port, title=title, templates_path=TEMPLATES)
        self.announce = announce
        self.local_only = is_loopback(host)
        self.sessions: set[asyncio.Task] = set()

    def initialize_logging(self) -> None:
        """Warnings and errors only, one line each; no line per request."""
        logging.basicConfig(level=logging.WARNING, format="gradstep serve: %(message)s",
                            stream=sys.stderr)

    async def on_startup(self, app: web.Application) -> None:
        print(self.announce, flush=True)

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every session now: each one tells its app process to quit and waits."""
        for task in list(self.sessions):
            task.cancel()
        if self.sessions:
            await asyncio.wait(list(self.sessions), timeout=10)

    def refusal(self, request: web.Request) -> str | None:
        """Why a websocket may not start a session, or None."""
        host = request.host.lower()
        if self.local_only and not is_loopback(urlsplit(f"//{host}").hostname or ""):
            return f"this server answers to this machine's own address, not {host}"
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host:
            return "a page from another site may not start a gradstep session"
        return None

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        refusal = self.refusal(request)
        if refusal:
            logging.getLogger("textual-serve").warning("refused a session: %s", refusal)
            raise web.HTTPForbidden(text=f"gradstep serve: {refusal}\n")
        task = asyncio.current_task()
        self.sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions.discard(task)


def serve(served: str, lesson, *, host: str, port: int, root: Path | None) -> int:
    """Serve until Ctrl+C (or SIGTERM); the exit status."""
    server = GradstepServer(app_command(served, root), host=host, port=port,
                            title=page_title(lesson), announce=announcement(host, port, root))
    asyncio.set_event_loop(asyncio.new_event_loop())  # Server.serve asks for the current loop
    try:
        server.serve()
    except KeyboardInterrupt:  # before the server's own handler was in place
        return 130
    except OSError as error:  # the port was taken since check_listen
        raise GradstepError(bind_error(host, port, error)) from None
    print("gradstep serve: stopped", flush=True)
    return 0
