-- Shared by every wrk script: write the summary and latency percentiles (microseconds) as JSON.
function done(summary, latency, requests)
  local path = os.getenv("WRK_JSON")
  if not path then return end
  local f = io.open(path, "w")
  local statuses = 0
  f:write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}}',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
  f:close()
end
