"""Tickets: codes and QR payloads (pure), issuance, presentation and delivery."""
