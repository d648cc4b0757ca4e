"""The JSON API under /api/v1: thin routes that parse, call one service, map the outcome."""
