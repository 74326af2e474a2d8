"""The console's Textual-side state without widgets (docs/internals.md, "console/").

``scheduler`` (one re-armed loop for everything that repeats), ``fleet``
(the hosts of the console: one host is a fleet of one), ``flows`` (action
flows: confirm texts, start-then-shell, restart offers), ``palette`` (the
command palette's provider).
"""
