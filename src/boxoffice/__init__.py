"""Boxoffice: sell tickets for live events and admit their holders at the gate."""

__version__ = "0.1.0"
