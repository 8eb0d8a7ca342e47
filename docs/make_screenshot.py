"""Write docs/screenshot.svg: the circle scenario after 40 epochs at 120x36, with the neuron
pictures (v) beside the weights and the lesson shown.

    python docs/make_screenshot.py
"""

import asyncio
from pathlib import Path

from gradstep.scenarios import load_scenario
from gradstep.tui.app import GradstepApp
from gradstep.workspace import Workspace

OUT = Path(__file__).with_name("screenshot.svg")


async def main() -> None:
    app = GradstepApp(Workspace.from_scenario(load_scenario("circle")))
    async with app.run_test(size=(120, 36)) as pilot:
        for key in ["n"] * 40 + ["v", "right_square_bracket"]:
            await pilot.press(key)
        await pilot.pause(0.3)
        app.redraw()
        await pilot.pause(0.3)
        app.save_screenshot(filename=OUT.name, path=str(OUT.parent))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
