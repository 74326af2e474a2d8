"""Textual-free core: models, FreeBSD parsers, runners, host, controller.

Nothing below this package may import Textual (tests/test_import_hygiene.py).
"""
