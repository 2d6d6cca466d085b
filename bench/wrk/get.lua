-- GET a path (BENCH_PATH), with the API key when BENCH_API_KEY is set; with BENCH_IDS_FILE, GET BENCH_PATH/<id>
-- for ids taken at random from the file (retrieve).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local ids

function init(args)
  if os.getenv("BENCH_API_KEY") then
    bearer_headers()
  end
  base_path = os.getenv("BENCH_PATH")
  local file = os.getenv("BENCH_IDS_FILE")
  if file then
    ids = read_share(file, 1, 1)
    math.randomseed(thread_number + 1)
  end
end

function request()
  if ids then
    return wrk.format(nil, base_path .. "/" .. ids[math.random(#ids)])
  end
  return wrk.format(nil, base_path)
end
