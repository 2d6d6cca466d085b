-- POST close on ids pre-created PENDING by the driver; each thread closes its own share, each id once.
-- Once a thread's share is used up it starts again, and those closes answer 409 (counted as non-2xx).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local ids, position

function init(args)
  bearer_headers()
  wrk.method = "POST"
  base_path = os.getenv("BENCH_PATH")
  ids = read_share(os.getenv("BENCH_IDS_FILE"), thread_number + 1, tonumber(os.getenv("BENCH_THREADS")))
  position = 0
end

function request()
  position = position % #ids + 1
  return wrk.format(nil, base_path .. "/" .. ids[position] .. "/close")
end
