"""`python -m boxoffice` runs the same command line as the `boxoffice` script."""

from boxoffice.cli import app

app()
