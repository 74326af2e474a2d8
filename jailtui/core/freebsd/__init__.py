"""What FreeBSD's tools print and take: pure parsers and argv builders, no I/O."""
