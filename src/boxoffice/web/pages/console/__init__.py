"""The partner console: events, ticket types, publishing, live sales, orders and refunds."""
