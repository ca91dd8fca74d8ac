"""`python -m optimus` is the `optimus` command."""

from optimus.entrypoints.cli import main

main()
