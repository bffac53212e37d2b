"""One module per layer, each with ``check(submission, context) -> Verdict``.

A layer with nothing to say returns a verdict with score 0 and no reasons (it
abstains); it never raises on odd input.
"""
