"""The security and reliability suite's harness (issue #9): the network guard
for every test, and later the canaries, the load generator and the reconciler."""
