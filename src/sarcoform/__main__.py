"""`python -m sarcoform` = the `sarcoform` command."""

from .cli import command

command()
