"""Frames: the panes drawn from the workspace, when something changed and no more often.

A timer ticks at REDRAW_HZ. Paused, a tick draws only when what is shown would change (the
network's version, the step, the selection, the settings). While training runs every tick
draws the cheap panes (status, network, grid), and every PANES_EVERY-th tick the costly ones
too (a plotext build, a grid of predictions, Rich tables; half as often when they draw two
networks, which doubles their cost): the screen shares the GIL with the
training thread, so what it costs is taken from the steps per second.

A frame holds the live trainer's lock while it reads, so no step is half seen, and it never
changes the trainer: paused, it asks for the evaluation of now, which is a pure read.
"""

from __future__ import annotations

from gradstep.tui import layout

REDRAW_HZ = 12
PANES_EVERY = 3        # while running, the costly panes redraw every 3rd tick (4 Hz)
PAIR_PANES_EVERY = 6   # ... at 2 Hz when they draw A and B: the screen costs what one network's does
CHEAP_PANES = ("NetworkPane", "#weights")
COSTLY_PANES = ("#readouts", "#loss", "#sums", "#output", "#neurons")


class Painter:
    def __init__(self, app) -> None:
        self.app = app
        self._ticks = 0
        self._drawn = None
        self._shape = None

    def _signature(self):
        app, ws = self.app, self.app.workspace
        return tuple((id(t), t.network.version, t.step_count, t.settings, t.diverged)
                     for t in ws.trainers) + (ws.active, app.layer, app.running, ws.pace)

    def tick(self) -> None:
        if self.app.running:
            self._ticks += 1
            every = PAIR_PANES_EVERY if self.app.workspace.comparing else PANES_EVERY
            self.redraw(costly=self._ticks % every == 0)
        elif self._signature() != self._drawn:
            self.redraw()

    def redraw(self, costly: bool = True) -> None:
        """The panes from the trainer, now; the costly ones only when `costly`."""
        from gradstep.tui.widgets.status_line import StatusLine

        app, ws = self.app, self.app.workspace
        with ws.hold():
            t = ws.trainer
            app.layer = max(0, min(app.layer, t.network.depth - 1))
            if not ws.running:  # paused, the figures shown are of this step (a pure read)
                for trainer in ws.trainers:
                    trainer.evaluate()
            for selector in CHEAP_PANES + (COSTLY_PANES if costly else ()):
                pane = app.query_one(selector)
                if not pane.display:  # a hidden pane costs nothing
                    continue
                if ws.comparing and hasattr(pane, "update_pair"):
                    pane.update_pair(ws, app.layer)  # A and B side by side
                else:
                    pane.update_from(t, app.layer)
            app.query_one(StatusLine).update_from(t, app.layer, running=ws.running,
                                                  rate=ws.rate, pace=ws.pace,
                                                  pair=ws if ws.comparing else None)
            self._drawn = self._signature()
        shape = layout.shape(app)
        if shape != self._shape:  # the contents need other sizes: lay out again
            self._shape = shape
            layout.arrange(app)
