-- wrk reporting for bench/http_bench.py (issue #8): after the run, one line
-- "FIRSTHAND-RESULT {json}" with the request count, the duration, the errors and
-- the latency percentiles (microseconds), which the harness parses.

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'FIRSTHAND-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
