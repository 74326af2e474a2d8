"""Widgets of the console, one a module; none of them runs a command."""
