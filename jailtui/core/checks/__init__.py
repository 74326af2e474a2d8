"""Checks: health findings for `check` and the console, `doctor`, daemon status."""
