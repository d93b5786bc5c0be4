"""Context of the smart homes: weather, calendar, grid carbon intensity, electricity prices, sun and air."""
