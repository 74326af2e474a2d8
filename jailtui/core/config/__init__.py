"""Configuration files: jail.conf editing, safe replacement (local and remote), our own settings."""
