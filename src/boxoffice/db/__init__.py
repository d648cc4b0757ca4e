"""Persistence: table definitions, the engine factory and Alembic migrations."""
