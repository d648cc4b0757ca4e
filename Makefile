# Shortcuts for developers; CI runs .ci/run, which runs the README's test command.
.PHONY: demo test lint bench

demo:
	python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/boxoffice demo

test:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest

lint:
	.venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests bench && .venv/bin/mypy

bench:
	.venv/bin/python bench/flash_sale.py --workers 1 --workers 2 --pgbench
