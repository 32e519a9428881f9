"""`python -m cli` runs the command line (installed as `kb`)."""

from cli.main import app

app()
