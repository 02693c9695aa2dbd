"""Helpers shared by the test packages: builders, network guard, servers."""
