"""What a browser session of gradstep serve costs, measured with Debian's headless chromium; and
docs/browser.png, the app in that browser.

    python docs/browser_costs.py [--tabs 4] [--screenshot]

Prints the server's memory alone and with the tabs open, each tab's app process (VmRSS after
its first screen, and its peak, VmHWM), the start-up from asking for the page to the first
screen in the terminal (split at the moment the page opens its websocket, which starts the
tab's process), and what a running tab sends over its websocket. The yardstick is `gradstep`
in a terminal, started in the same run (gradstep.bench.bench_startup): this machine is shared,
so only figures taken side by side compare. A tab's process is also started alone, as
textual-serve starts it but with no server and no browser, to the first screen it sends.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from gradstep.bench import bench_startup

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))
from served import Browser, Served, rss_mb  # noqa: E402

SHOT = Path(__file__).with_name("browser.png")


def private_mb(pid: int) -> float:
    """The memory only this process holds (USS): what one more tab costs."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":")
        fields[name] = int(value.split()[0])
    return (fields["Private_Clean"] + fields["Private_Dirty"]) / 1024


def tab_alone_s(scenario: str = "circle", size=(133, 40)) -> float:
    """Seconds from starting a tab's process (`gradstep --web`, textual's web driver, as
    textual-serve starts it) to the first screen it sends that shows the step."""
    env = dict(os.environ, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver",
               TEXTUAL_FPS="60", TEXTUAL_COLOR_SYSTEM="truecolor",
               COLUMNS=str(size[0]), ROWS=str(size[1]))
    started = time.perf_counter()
    tab = subprocess.Popen([sys.executable, "-m", "gradstep", "--web", scenario],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    tab.stdout.readline()  # __GANGLION__
    screen = b""
    while b"step 0" not in screen:  # packets: kind (1 byte), size (4), payload
        kind, size = tab.stdout.read(1), int.from_bytes(tab.stdout.read(4), "big")
        payload = tab.stdout.read(size)
        if kind == b"D":
            screen += payload
    seconds = time.perf_counter() - started
    quit_ = json.dumps({"type": "quit"}).encode()
    tab.stdin.write(b"M" + len(quit_).to_bytes(4, "big") + quit_)
    tab.stdin.close()
    tab.wait(20)
    return seconds


def renderers_mb() -> float:
    """Chromium's renderer processes (the pages), summed."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"chromium" in command and b"--type=renderer" in command:
                total += rss_mb(int(entry.name))
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tabs", type=int, default=4)
    parser.add_argument("--screenshot", action="store_true", help=f"also write {SHOT}")
    args = parser.parse_args()
    with Served("circle") as served, sync_playwright() as playwright, \
            tempfile.TemporaryDirectory() as profile:
        time.sleep(1)
        server_idle = rss_mb(served.process.pid)
        browser = Browser(playwright, Path(profile))
        pages, startups, sockets, terminal, alone = [], [], [], [], []
        renderers_before = renderers_mb()
        for _ in range(args.tabs):
            terminal.append(bench_startup(1)["first_screen_s"])
            alone.append(tab_alone_s())
            page = browser.context.new_page()
            page.route("**/static/js/textual.js", browser._hook)
            opened = []
            page.on("websocket", lambda ws: opened.append(time.perf_counter()))
            started = time.perf_counter()
            page.goto(served.url)
            browser.wait_screen(page, "step 0")
            startups.append(time.perf_counter() - started)
            sockets.append(opened[0] - started)
            pages.append(page)
        time.sleep(1)
        tabs = served.tabs()
        tab_rss = [rss_mb(pid) for pid in tabs]
        tab_peak = [rss_mb(pid, "VmHWM") for pid in tabs]
        tab_private = [private_mb(pid) for pid in tabs]
        server_busy = rss_mb(served.process.pid)
        renderers = renderers_mb()

        page = pages[0]
        received = []
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda frame: received.append(len(frame))))
        # The page's own websocket opened before this listener: reload to see it from the start.
        page.reload()
        browser.wait_screen(page, "step 0")
        page.focus(".xterm-helper-textarea")
        received.clear()
        page.keyboard.press("r")
        time.sleep(5)
        page.keyboard.press("r")
        running_kb_s = sum(received) / 5 / 1024
        running_rss = max(rss_mb(pid) for pid in served.tabs())

        if args.screenshot:  # a fresh tab, 40 epochs, as docs/screenshot.svg
            page = browser.context.new_page()
            page.route("**/static/js/textual.js", browser._hook)
            page.goto(served.url)
            browser.wait_screen(page, "step 0")
            page.focus(".xterm-helper-textarea")
            for _ in range(40):
                page.keyboard.press("n")
            browser.wait_screen(page, "epoch 40")
            page.keyboard.press("ArrowDown")
            time.sleep(1)
            page.screenshot(path=str(SHOT))
        browser.close()
        served.stop()

    print(f"tabs opened                      {args.tabs}")
    def seconds(values):
        return f"median {statistics.median(values):.2f} s ({', '.join(f'{v:.2f}' for v in values)})"

    print(f"page asked -> first screen       {seconds(startups)}")
    print(f"  of which page -> its websocket {seconds(sockets)}")
    print(f"gradstep in a terminal, same run {seconds(terminal)}")
    print(f"a tab's process alone, same run  {seconds(alone)}")
    print(f"server alone (VmRSS)             {server_idle:.0f} MB")
    print(f"server with the tabs open        {server_busy:.0f} MB")
    print(f"each tab's app process (VmRSS)   {min(tab_rss):.0f}-{max(tab_rss):.0f} MB "
          f"(peak VmHWM {max(tab_peak):.0f} MB); its own pages (USS) "
          f"{min(tab_private):.0f}-{max(tab_private):.0f} MB")
    print(f"a tab while r runs (VmRSS)       {running_rss:.0f} MB")
    print(f"a running tab's websocket        {running_kb_s:.0f} KB/s to the browser")
    print(f"chromium's renderers, all tabs   {renderers - renderers_before:.0f} MB more "
          f"({renderers:.0f} MB in all)")
    if args.screenshot:
        print(f"wrote {SHOT} ({SHOT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
