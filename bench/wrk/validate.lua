-- POST validate (evidence photo + metadata, the organization's key) on ids pre-created PENDING by the driver; each
-- thread validates its own share, each id once. Once a share is used up, validates answer 409 (counted as non-2xx).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local ids, position, body

function init(args)
  bearer_headers()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["x-installation-id"] = "bench"
  wrk.headers["x-fingerprint"] = "bench"
  wrk.headers["User-Agent"] = "bench/1.0"
  base_path = os.getenv("BENCH_PATH")
  local file = io.open(os.getenv("BENCH_BODY_FILE"), "rb")
  body = file:read("*a")
  file:close()
  ids = read_share(os.getenv("BENCH_IDS_FILE"), thread_number + 1, tonumber(os.getenv("BENCH_THREADS")))
  position = 0
end

function request()
  position = position % #ids + 1
  return wrk.format(nil, base_path .. "/" .. ids[position] .. "/validate", nil, body)
end
