"""Subcommands of the command line beyond `check`: each module adds its parser and runs it, importing no Qt."""
