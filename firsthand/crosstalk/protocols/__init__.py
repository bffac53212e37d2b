"""The three ways another site tells this one it linked here, as pure functions.

Nothing in this package touches the database or the network: ``webmention`` reads a
fetched source page (links, microformats2), ``pingback`` reads and writes XML-RPC,
``trackback`` reads a ping's form and writes its XML answer. The workflows that use
them are ``crosstalk.receive`` (the endpoints) and ``crosstalk.verify`` (the worker).
"""
