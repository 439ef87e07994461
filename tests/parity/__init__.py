"""The Perl parity suite: the same calls through the Perl and the Python client."""
