"""The ``backclf`` command line: thin adapters over the library."""
