"""`python -m porter.cli`: the same as the `porter` command."""

from porter.cli import main

main()
