"""The yardstick of the first-frame figure: a bare Textual app showing one Static.

    python -I benchmarks/bare_app.py

benchmarks/figures.py launches it in tmux exactly like the console and times
launch -> the text below on the screen.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

TEXT = "bare textual app: first frame"


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(TEXT)


if __name__ == "__main__":
    Bare().run()
