"""The security posture of jails (issue 17): baseline, collection, items.

Textual-free like all of core/ (tests/test_import_hygiene.py). Facts in
docs/freebsd.md 13; the threats it answers in docs/security.md 8.
"""
