"""Screens of the console, one a module: main, jail detail, confirm, signal, help, log."""
