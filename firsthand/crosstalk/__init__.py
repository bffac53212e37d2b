"""Crosstalk: how Firsthand talks with other sites (outbound HTTP, later pings)."""
