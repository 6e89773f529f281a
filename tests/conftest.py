"""Fixtures shared by every test layer live in tests/support and are registered here."""
