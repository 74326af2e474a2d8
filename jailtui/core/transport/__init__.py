"""Transport: how argv reaches a host and bytes come back (local, SSH, pty), and how host paths map to this machine."""
