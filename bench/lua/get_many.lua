-- GET <path> with a JSON body [{"key": ...}, ...] of `size` random keys of [0, n).
-- Bodies are made once per thread (`variety` of them), not per request, so wrk stays cheap.
-- Arguments (after --): the path, n, size, variety.
local requests = {}

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  local path, n, size, variety = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  math.randomseed(os.time() * 1000 + seed)
  local headers = { ["Content-Type"] = "application/json" }
  for r = 1, variety do
    local keys = {}
    for i = 1, size do
      keys[i] = string.format('{"key":"k%08d"}', math.random(0, n - 1))
    end
    requests[r] = wrk.format("GET", path, headers, "[" .. table.concat(keys, ",") .. "]")
  end
end

function request()
  return requests[math.random(1, #requests)]
end
