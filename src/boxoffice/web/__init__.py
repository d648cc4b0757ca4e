"""HTTP entrypoints: the JSON API, pages, and the mapping of errors to problems."""
