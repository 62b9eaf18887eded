"""The ``coopmap`` command line."""
