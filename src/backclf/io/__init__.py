"""Reading and writing cases: JSON records, JSON Lines, tables."""
