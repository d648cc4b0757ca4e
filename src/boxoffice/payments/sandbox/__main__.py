"""`python -m boxoffice.payments.sandbox --port N …`: the acquirer without the console script."""

from __future__ import annotations

import typer

from boxoffice.payments.sandbox.cli import acquirer


def main() -> None:
    typer.run(acquirer)


if __name__ == "__main__":
    main()
