"""`boxoffice loadtest`: a simulated flash sale against a running service, then an audit."""
