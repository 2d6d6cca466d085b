-- POST an empty body to BENCH_PATH (the framework + database ceiling view).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

function init(args)
  wrk.method = "POST"
  base_path = os.getenv("BENCH_PATH")
end

function request()
  return wrk.format(nil, base_path)
end
