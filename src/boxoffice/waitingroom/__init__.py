"""The virtual waiting room: a fair queue per event and the passes that admit buyers."""
