"""Firsthand's SQLite database backend: Django's, with writers queued fairly.

See ``base.DatabaseWrapper``.
"""
