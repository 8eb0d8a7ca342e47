"""How the screen is shared out, at any terminal size.

Rows: the lesson (its whole text when it fits beside the panes, else one line saying what to
watch), the top row (network, weights, sums) only as tall as its contents need, and the rest to
the bottom row (loss, output): extra room goes to the plots, not to empty grid rows.
Columns: the weights grid only as wide as its columns need; the output pane as wide as a
heatmap that keeps the data's aspect needs (a half-block pixel is square: a square domain is
twice as many columns as rows); the loss plot takes what is left.

Styles are set only when they change, so a frame that changes nothing lays out nothing.
"""

from __future__ import annotations

from gradstep.tui.widgets.weights_grid import CELL

STATUS_ROWS = 2          # the status line and the footer
NETWORK_WIDE, NETWORK_NARROW = 28, 24
NETWORK_FROM = 100       # columns from which the network pane is shown
MIN_TOP, MIN_BOTTOM_SHORT, MIN_BOTTOM_TALL = 6, 11, 13
TALL = 32
BOTH_PLOTS_WIDE, BOTH_PLOTS_TALL = 160, 48  # from here the loss and the Σw plots both show


def _set(widget, name: str, value) -> None:
    """Set a style only when it changes (a set means a layout pass)."""
    done = widget.__dict__.setdefault("_arranged", {})
    if done.get(name) != value:
        done[name] = value
        setattr(widget.styles, name, value)


def bottom_min(height: int) -> int:
    return MIN_BOTTOM_TALL if height >= TALL else MIN_BOTTOM_SHORT


def top_wanted(app) -> int:
    """Rows the top row's contents need, borders included."""
    from gradstep.tui.widgets.network_pane import NetworkPane
    from gradstep.tui.widgets.readouts_view import ReadoutsView
    from gradstep.tui.widgets.weights_grid import WeightsGrid

    grid = app.query_one(WeightsGrid).wanted_height
    readouts = app.query_one(ReadoutsView).rows_needed
    network = app.query_one(NetworkPane).rows_needed
    neurons = app.query_one("#neurons")
    pictures = neurons.virtual_size.height if neurons.display else 0
    return max(grid, readouts, min(network, grid + 4), pictures) + 2


def lesson_fits(app, width: int, height: int) -> bool:
    """Whether the whole lesson fits above panes that still show what they need."""
    from gradstep.tui.widgets.lesson import Lesson

    rows = app.query_one(Lesson).rows_needed(width)
    return rows + min(top_wanted(app), 16) + bottom_min(height) <= height - STATUS_ROWS


def shape(app):
    """What the arrangement depends on: when it is unchanged, arrange() has nothing to do."""
    from gradstep.tui.widgets.lesson import Lesson
    from gradstep.tui.widgets.network_pane import NetworkPane
    from gradstep.tui.widgets.output_view import OutputView
    from gradstep.tui.widgets.readouts_view import ReadoutsView
    from gradstep.tui.widgets.weights_grid import WeightsGrid

    grid, output = app.query_one(WeightsGrid), app.query_one(OutputView)
    return (tuple(app.size), app.query_one(Lesson).short, app.show_sums, app.show_neurons,
            app.query_one("#neurons").wanted_width, app.query_one("#neurons").virtual_size.height,
            grid.dims,
            grid.label_width,
            app.query_one(ReadoutsView).rows_needed, app.query_one(NetworkPane).rows_needed,
            output.mode, output.caption_rows, output.probe is None, output.pair is None)


def arrange(app) -> None:
    """Size the lesson, the rows and the columns for the terminal as it is now."""
    from gradstep.tui.widgets.lesson import Lesson
    from gradstep.tui.widgets.output_view import OutputView
    from gradstep.tui.widgets.weights_grid import WeightsGrid

    width, height = app.size
    if not width or not height:
        return
    lesson = app.query_one(Lesson)
    lesson_rows = 1 if lesson.short else lesson.rows_needed(width)
    _set(lesson, "height", lesson_rows)
    rest = max(2, height - STATUS_ROWS - lesson_rows)
    top = max(MIN_TOP, min(top_wanted(app), rest - bottom_min(height)))
    top = min(top, max(3, rest - 5))
    _set(app.query_one("#top"), "height", top)
    bottom = rest - top

    grid = app.query_one(WeightsGrid)
    # the network list; the neuron pictures beside it on a wide screen, in its place on `v`
    neurons = app.query_one("#neurons")
    pictures = app.show_neurons or width >= BOTH_PLOTS_WIDE
    listed = width >= NETWORK_FROM and not (app.show_neurons and width < BOTH_PLOTS_WIDE)
    _set(app.query_one("#network"), "display", "block" if listed else "none")
    _set(neurons, "display", "block" if pictures else "none")
    grid.show_layers = not listed
    network = (NETWORK_WIDE if width >= 110 else NETWORK_NARROW) if listed else 0
    _set(app.query_one("#network"), "width", network or NETWORK_NARROW)
    if pictures:
        wide = max(20, min(neurons.wanted_width, int(0.4 * width)))
        _set(neurons, "width", wide)
        network += wide
    columns = grid.dims[1] or 1
    wanted = grid.label_width + columns * CELL + 3   # border and scroll bar
    # the sums hold the lessons' proofs: they keep half of what is left, at least 34 columns
    room = width - network - max(34, min(56, (width - network) // 2))
    _set(grid, "width", max(24, min(wanted, room)))

    # the sums over time beside (wide) or under (tall) the loss when there is room, else `w`
    # chooses one of the two
    both = width >= BOTH_PLOTS_WIDE or height >= BOTH_PLOTS_TALL
    plots = app.query_one("#plots")
    _set(plots, "layout", "horizontal" if width >= BOTH_PLOTS_WIDE else "vertical")
    _set(app.query_one("#loss"), "display", "block" if both or not app.show_sums else "none")
    _set(app.query_one("#sums"), "display", "block" if both or app.show_sums else "none")

    output = app.query_one(OutputView)
    if output.mode == "heatmap":
        canvas_rows = max(3, bottom - 2 - output.caption_rows)
        wanted = 2 * canvas_rows + 2
        least = 40 if output.probe is not None else 22  # the probe's lines need room
        if output.pair:  # two heatmaps side by side
            wanted, least = 2 * wanted - 1, 2 * least
        _set(output, "width", max(least, min(wanted, width - 30)))
    else:
        _set(output, "width", "1fr")
