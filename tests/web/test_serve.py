"""gradstep serve without a browser: inputs checked before the server starts, the command line
kept off the page, websockets from other sites refused, Ctrl+C with a session open, and the
web parts imported only by the serve command."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import types
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from gradstep import cli
from gradstep.lesson import Lesson
from gradstep.scenarios import presets_dir
from gradstep.web.server import announcement, app_command, page_title
from served import Served, ends


@pytest.fixture
def no_server(monkeypatch):
    """The server module replaced by one that fails the test if a server is started."""
    def serve(*args, **kwargs):
        raise AssertionError("the server started despite bad input")
    monkeypatch.setitem(sys.modules, "gradstep.web.server",
                        types.SimpleNamespace(serve=serve))


def one_error_line(capsys, *argv: str) -> str:
    status = cli.main(["serve", *argv])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and err.count("\n") == 1, (status, out, err)
    assert err.startswith("gradstep: error: ")
    return err


@pytest.mark.parametrize("argv, words", [
    (["--port", "abc"], "--port: must be a port number from 1 to 65535, got 'abc'"),
    (["--port", "0"], "--port: must be a port number from 1 to 65535, got 0"),
    (["--port", "70000"], "got 70000"),
    (["--root", "/nonexistent-gradstep-root"], "--root: /nonexistent-gradstep-root does not exist"),
    (["nope"], "unknown scenario 'nope'"),
    (["--host", "no-such-host.invalid"], "--host: 'no-such-host.invalid' is not an address"),
    (["--host", "192.0.2.1"], "--host: 192.0.2.1 is not an address of this machine"),
    (["circle", "extra"], "unrecognized arguments: extra"),
])
def test_bad_input_is_one_line_before_the_server_starts(capsys, no_server, argv, words):
    assert words in one_error_line(capsys, *argv)


def test_a_root_that_is_a_file_and_a_bad_session_are_refused(capsys, no_server, tmp_path):
    (tmp_path / "f").write_text("x")
    assert "--root: " in one_error_line(capsys, "--root", str(tmp_path / "f"))
    (tmp_path / "bad.npz").write_bytes(b"nope")
    assert "not a readable gradstep session" in one_error_line(capsys, str(tmp_path / "bad.npz"))
    (tmp_path / "bad.toml").write_text('[data]\nkind = "csv"\npath = "missing.csv"\n'
                                       '[network]\nlayers = [1, 1]\n')
    assert "bad.toml" in one_error_line(capsys, str(tmp_path / "bad.toml"))  # its data too


def test_a_port_in_use_is_one_line(capsys, no_server):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        err = one_error_line(capsys, "--port", str(port))
    assert f"--port: {port} is in use on 127.0.0.1; choose another, such as --port {port + 1}" \
        in err


def test_the_tabs_option_goes_only_with_serve(capsys):
    status = cli.main(["--root", "/tmp", "circle"])
    assert status == 2 and "--root is an option of gradstep serve" in capsys.readouterr().err


def test_gradstep_itself_imports_no_web_server():
    code = ("import sys, gradstep.cli; print(sorted(m for m in sys.modules if m.split('.')[0] "
            "in ('textual_serve', 'aiohttp', 'aiohttp_jinja2', 'jinja2', 'textual') "
            "or m == 'gradstep.web.server'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_the_title_is_one_clean_line():
    title = page_title(Lesson("x", "<b>Bold</b>\x1b[31m red\u202e\u200b\nline\x00" + "y" * 200))
    assert title.startswith("gradstep — <b>Bold</b> [31m red line ")  # escaped by the page
    assert len(title) <= len("gradstep — ") + 100 and title.endswith("…")
    assert all(c.isprintable() for c in title)
    assert page_title(Lesson()) == "gradstep" and page_title(Lesson("grades")) == \
        "gradstep — grades"


def test_the_tabs_command_quotes_every_path():
    import shlex
    command = app_command("/a b/it's \"x\".toml", Path("/r o/ot"))
    assert command.startswith("exec ")
    assert shlex.split(command)[1:] == [sys.executable, "-m", "gradstep", "--web",
                                        "--root=/r o/ot", "/a b/it's \"x\".toml"]


def test_the_announcement_says_who_can_connect():
    assert "http://127.0.0.1:8000 (only this machine can connect; --host 0.0.0.0 to share it)" \
        in announcement("127.0.0.1", 8000, None)
    shared = announcement("0.0.0.0", 8000, Path("/srv/lessons"))
    assert f"http://{socket.gethostname()}:8000 (shared: anyone who can reach this machine " \
           "can connect)" in shared and "under /srv/lessons" in shared
    assert "http://[::1]:9000 (only this machine" in announcement("::1", 9000, None)


def test_the_page_escapes_the_title_and_never_shows_the_command(tmp_path):
    scenario = tmp_path / "odd dir" / "evil.toml"
    scenario.parent.mkdir()
    text = (presets_dir() / "xor.toml").read_text()
    scenario.write_text('title = "<script>alert(1)</script> & co"\n' +
                        "\n".join(l for l in text.splitlines() if not l.startswith("title")))
    with Served(str(scenario)) as served:
        html = urllib.request.urlopen(served.url, timeout=10).read().decode()
        served.stop()
    assert "<title>gradstep — &lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>" in html
    assert "<script>alert" not in html
    for secret in (str(scenario), "odd dir", sys.executable, "--web", "googleapis"):
        assert secret not in html


async def _session(url: str, headers: dict[str, str], first_bytes: bool):
    """Open the page's websocket as a browser would; the first screen bytes, or the status."""
    async with aiohttp.ClientSession() as client:
        try:
            socket_ = await client.ws_connect(f"{url}ws?width=100&height=30", headers=headers)
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status
        if not first_bytes:
            await socket_.close()
            return 101
        while True:
            message = await asyncio.wait_for(socket_.receive(), 20)
            if message.type == aiohttp.WSMsgType.BINARY and b"step 0" in message.data:
                return socket_, client


def test_websockets_from_other_sites_are_refused():
    with Served("xor") as served:
        host = f"127.0.0.1:{served.port}"
        cases = [({"Origin": "http://evil.example"}, 403),
                 ({"Origin": "http://evil.example:1234", "Host": "evil.example:1234"}, 403),
                 ({"Origin": f"http://{host}"}, 101),
                 ({}, 101)]  # not a browser: no Origin
        for headers, expected in cases:
            assert asyncio.run(_session(served.url, headers, False)) == expected, headers
        served.stop()
    assert served.output.count("refused a session") == 2


@pytest.mark.parametrize("sig, group", [(signal.SIGINT, True), (signal.SIGINT, False),
                                        (signal.SIGTERM, False)],
                         ids=["ctrl+c", "kill -INT", "kill -TERM"])
def test_stopping_with_a_session_open_is_clean(sig, group):
    """Ctrl+C reaches the tabs too (one process group); a signal to the server alone makes
    it tell each tab to quit."""
    with Served("xor") as served:
        async def scenario():
            socket_, client = await _session(served.url, {}, True)
            tabs = served.tabs()
            status, seconds = await asyncio.to_thread(served.stop, sig, group=group)
            await client.close()
            return tabs, status, seconds

        tabs, status, seconds = asyncio.run(scenario())
    assert len(tabs) == 1 and status == 0 and seconds < 10
    assert ends(tabs[0])
    assert "Traceback" not in served.output and served.output.endswith("gradstep serve: stopped")
