"""gradstep serve [SCENARIO] [--host H] [--port N] [--root DIR]: the app in web browsers.

Everything a person can get wrong is checked here, before the server starts and before
textual-serve and aiohttp are imported: the scenario (or session file), the folder --root names,
the host and the port. Each check fails with one line and exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import os
from pathlib import Path

from gradstep.errors import GradstepError
from gradstep.scenarios.scenario import DEFAULT_SCENARIO, load_scenario

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {text!r}")
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {value}")
    return value


def add_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO",
                        help="a shipped scenario name, a .toml path, or a saved session (.npz) "
                             f"that every tab opens (default: {DEFAULT_SCENARIO})")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"the address to listen on (default {DEFAULT_HOST}: only this "
                             "machine can connect; 0.0.0.0 shares it with the network)")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT,
                        help=f"the port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--root", metavar="DIR",
                        help="a folder whose files the browser may open (sessions, weights); "
                             "without it, opening files is off")


def check_root(text: str) -> Path:
    """The folder --root names, resolved; GradstepError when it is not a readable folder."""
    path = Path(text).expanduser()
    if not path.exists():
        raise GradstepError(f"--root: {text} does not exist")
    if not path.is_dir():
        raise GradstepError(f"--root: {text} is not a folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise GradstepError(f"--root: cannot read the folder {text}")
    return path.resolve()


def check_source(name: str):
    """(what each tab's process opens, its Lesson): a scenario that loads and builds, or a
    session file that loads; GradstepError (one line) otherwise."""
    if name.endswith(".npz"):
        from gradstep.session import load_session
        _, lesson = load_session(name)
        return str(Path(name).resolve()), lesson
    scenario = load_scenario(name)
    scenario.build()  # its data too (a CSV file)
    return str(scenario.path.resolve()), scenario.lesson


def check_listen(host: str, port: int) -> None:
    """Bind to host:port for a moment, as the server will; GradstepError saying why not."""
    import socket  # here: `gradstep` itself does not need it

    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise GradstepError(f"--host: {host!r} is not an address or a name this machine "
                            "can resolve") from None
    for family, kind, proto, _, address in {a[:3] + ("", a[4]) for a in addresses}:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as e:
                raise GradstepError(bind_error(host, port, e)) from None


def bind_error(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"--port: {port} is in use on {host}; choose another, such as --port {port + 1}"
    if error.errno == errno.EACCES:
        return f"--port: listening on {port} is not allowed here (ports below 1024 need " \
               f"privileges); try --port {DEFAULT_PORT}"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"--host: {host} is not an address of this machine"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


def run_serve(args: argparse.Namespace) -> int:
    root = check_root(args.root) if args.root is not None else None
    served, lesson = check_source(args.scenario)
    check_listen(args.host, args.port)
    from gradstep.web.server import serve  # textual-serve and aiohttp: only now

    return serve(served, lesson, host=args.host, port=args.port, root=root)
