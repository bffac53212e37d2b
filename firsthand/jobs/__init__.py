"""Background jobs that survive their worker: leases on django-tasks-db jobs.

See ``leases`` (heartbeats and the reaper) and ``worker`` (the loop that runs
jobs under a lease); docs/deployment.md, "Background jobs", says what is promised.
"""
