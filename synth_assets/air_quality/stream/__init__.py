"""Live air-quality sensor stream: the batch family's patterns, one message at a time."""
