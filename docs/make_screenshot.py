"""Write docs/screenshot.svg: the circle scenario after 40 epochs, at 120x36.

    python docs/make_screenshot.py
"""

import asyncio
from pathlib import Path

from gradstep.scenarios import load_scenario
from gradstep.tui.app import GradstepApp

OUT = Path(__file__).with_name("screenshot.svg")


async def main() -> None:
    app = GradstepApp(load_scenario("circle"))
    async with app.run_test(size=(120, 36)) as pilot:
        for key in ["l"] + ["n"] * 40 + ["down", "right"]:  # lesson hidden: room for the panes
            await pilot.press(key)
        await pilot.pause(0.3)
        app.save_screenshot(filename=OUT.name, path=str(OUT.parent))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
