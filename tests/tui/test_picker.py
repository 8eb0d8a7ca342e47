"""The scenario picker: the course in order, one line per scenario at any width."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from gradstep.scenarios import list_presets
from gradstep.tui.screens.picker import ScenarioPicker
from test_app import make_app, wait_for


@pytest.mark.parametrize("width", [120, 80, 50])
async def test_picker_lists_the_course_one_line_each(width):
    app = make_app()
    async with app.run_test(size=(width, 36)) as pilot:
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioPicker), what="picker")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(k).id for k in range(options.option_count)]
        assert ids == [s.name for s in list_presets()] and ids[0] == "grades"
        lines = [options.render_line(y).text.rstrip() for y in range(options.size.height)]
        assert options.virtual_size.height == len(ids)  # no entry wraps onto a second line
        for scenario, line in zip(list_presets(), lines):
            assert scenario.name in line
            shown = line.split(scenario.name, 1)[1].strip()
            assert scenario.title.startswith(shown.rstrip("…")), (shown, scenario.title)
            if not scenario.title.startswith(shown):
                assert shown.endswith("…")
