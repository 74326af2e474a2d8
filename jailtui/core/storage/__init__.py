"""Where jails live and their snapshots: ZFS datasets and the mount table.

Textual-free. Parsers take the bytes of ``zfs list -H -p`` and ``mount -p``
(docs/freebsd.md 12.2, 12.4) and raise ParseError on anything malformed or
truncated; :mod:`.locate` decides which file system holds a jail's root;
:mod:`.snapshots` reads and changes snapshots through the one gate
(core/actions/control.py).
"""
