-- Shared by every script: `done` prints one machine-readable line with the latency percentiles wrk measured.
-- Latencies are in microseconds; the driver (bench/run.py) turns them into milliseconds.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end

-- Each thread learns its number (0, 1, ...) so that scripts can hand out disjoint values.
local next_thread = 0
function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

-- Lines of a file (ids), every `step`-th one starting at `first` (1-based): a thread's own share.
function read_share(path, first, step)
  local share = {}
  local n = 0
  for line in io.lines(path) do
    n = n + 1
    if (n - first) % step == 0 and n >= first and #line > 0 then
      share[#share + 1] = line
    end
  end
  return share
end

function bearer_headers()
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")
end
