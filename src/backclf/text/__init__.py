"""Free text to findings (needs the ``text`` extra: spaCy and negspacy)."""
