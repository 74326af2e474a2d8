"""jailtui: a live terminal console for FreeBSD jails.

The package is split so that everything but the user interface can run
without Textual: ``jailtui.core`` (models, parsers, runners, the controller)
and ``jailtui.sim`` (the simulated FreeBSD host) never import it, and a test
proves that.
"""

__version__ = "0.1.0"
