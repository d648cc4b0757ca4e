"""Transactional e-mail: an outbox written with the order, a worker that delivers it over SMTP."""
