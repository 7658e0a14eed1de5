"""Subcommands of the sessioncheck CLI, one module each (see cli.COMMANDS)."""
