"""Firsthand: a self-hosted blog engine where the conversation matters."""

__version__ = "0.1.0"
