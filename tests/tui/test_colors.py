"""Colours that read in a 256-colour terminal (tmux's default) as well as in truecolor."""

from __future__ import annotations

import itertools
import re
import time

import numpy as np
import pytest
from rich.color import Color, ColorSystem

from gradstep.tui.widgets.colors import (CLASS_COLORS, NEUTRAL, POINT_COLORS, by_class,
                                         diverging)


def in_256(rgb) -> np.ndarray:
    triplet = Color.from_rgb(*(int(v) for v in rgb)).downgrade(ColorSystem.EIGHT_BIT)
    return np.array(triplet.get_truecolor(), float)


def distance(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)))


def test_point_colours_are_the_same_in_256_colours():
    for rgb in POINT_COLORS:
        np.testing.assert_array_equal(in_256(rgb), rgb)


def test_point_colours_stay_apart_from_each_other_in_256_colours():
    for a, b in itertools.combinations(POINT_COLORS, 2):
        assert distance(in_256(a), in_256(b)) >= 60, (a, b)


def test_points_stand_out_on_every_background_in_both_colour_systems():
    backgrounds = [diverging(np.array([t]))[0] for t in np.linspace(-1, 1, 9)]
    backgrounds += [by_class(np.array([c]), np.array([s]))[0]
                    for c in range(len(CLASS_COLORS)) for s in (0, 0.5, 1)]
    backgrounds.append(NEUTRAL)
    for point in POINT_COLORS[:3]:
        for back in backgrounds:
            for system in (lambda v: np.asarray(v, float), in_256):
                assert distance(system(point), system(back)) >= 70, (point, back)


def test_points_are_not_grey():
    for rgb in POINT_COLORS[:9]:
        assert np.ptp(in_256(rgb)) >= 95  # a grey has all three channels alike


@pytest.mark.parametrize("colorterm", ["", "truecolor"])
def test_the_heatmap_points_reach_the_terminal_in_its_colours(colorterm):
    from test_terminal import TMUX, Tmux, gradstep_script

    if TMUX is None:
        pytest.skip("tmux is not installed")
    tmux = Tmux()
    env = ["-e", "TERM=xterm-256color", "-e", f"COLORTERM={colorterm}"]
    try:
        started = tmux.run("new-session", "-d", "-s", "gs", "-x", "120", "-y", "36", *env,
                           gradstep_script() + " circle")
        assert started.returncode == 0, started.stderr
        tmux.wait_for(lambda s: "step 0 " in s and "accuracy" in s, what="the first screen")
        time.sleep(0.5)
        screen = tmux.run("capture-pane", "-p", "-e", "-t", "gs").stdout
        codes = set(re.findall(r"\x1b\[([0-9;]*)m", screen))
        joined = ";" + ";".join(codes) + ";"
        if colorterm == "truecolor":
            assert ";175;95;0;" in joined and ";0;0;175;" in joined, joined[:400]
        else:  # xterm-256 cube indices of (175, 95, 0) and (0, 0, 175)
            assert re.search(r";[34]8;5;130;", joined) and re.search(r";[34]8;5;19;", joined), \
                joined[:400]
    finally:
        tmux.kill()
