"""Every key's action in the command palette (ctrl+p)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from gradstep.tui.screens.help import key_name


class GradstepCommands(Provider):
    """Commands from the app's key table: the same actions the keys run."""

    def _commands(self):
        app = self.app
        for keys, action, title, description in app.COMMAND_TABLE:
            # the key as a person types it ([, not left_square_bracket); none: palette only
            text = f"{title} ({key_name(keys)})" if keys else title
            yield text, description, partial(app.run_action, action)

    async def discover(self) -> Hits:
        for text, description, command in self._commands():
            yield DiscoveryHit(text, command, help=description)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, description, command in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=description)
