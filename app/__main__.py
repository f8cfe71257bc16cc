"""`python -m app` runs the `cuvee` command."""

from app.cli import main

main()
