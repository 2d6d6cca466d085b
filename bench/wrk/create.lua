-- POST create with a distinct NIF per request: run (2 digits) + thread (1) + counter (5), and its control letter.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
local counter = 0

function init(args)
  bearer_headers()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  run_number = tonumber(os.getenv("BENCH_RUN_NUMBER"))
end

function request()
  counter = (counter + 1) % 100000
  local number = run_number * 1000000 + (thread_number % 10) * 100000 + counter
  local letter_index = number % 23 + 1
  local body = string.format(
    '{"name": "James", "last_name": "Smith", "identity_document": {"document_number": "%08d%s", ' ..
    '"document_type": "NIF", "country": "ES"}, "configuration_name": "HIGH", "expires_in": "P7D", ' ..
    '"scoring": {"provider": "INTERNAL"}}',
    number, LETTERS:sub(letter_index, letter_index))
  return wrk.format(nil, nil, nil, body)
end
