"""The command line: argument parsing, sessions (backend, identity, policy), output formatting."""

from jailtui.cli.main import main

__all__ = ["main"]
