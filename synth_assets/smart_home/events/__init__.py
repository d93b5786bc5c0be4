"""Smart-home events and the correlation engine: the planted rules and the state changes they shape."""
