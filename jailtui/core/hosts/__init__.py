"""Hosts: one host's poll into a snapshot, several hosts as a fleet, where jails are configured."""
