"""The repository itself: lint and spelling, docs and their links, environment pins, the Makefile."""
