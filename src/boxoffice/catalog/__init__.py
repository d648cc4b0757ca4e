"""The partner catalog: partners, events, ticket types and sale windows."""
