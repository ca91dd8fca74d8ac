-- GET <path prefix><key><suffix>, key k%08d of a uniformly random index in [0, n).
-- Arguments (after --): the path prefix, n, the suffix (e.g. "?track=candidate"), and
-- optionally a value for the x-optimus-track header (e.g. "candidate").
local prefix, n, suffix, headers

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  prefix = args[1]
  n = tonumber(args[2])
  suffix = args[3] or ""
  headers = {}
  if args[4] and args[4] ~= "" then
    headers["x-optimus-track"] = args[4]
  end
  math.randomseed(os.time() * 1000 + seed)
end

function request()
  return wrk.format("GET", prefix .. string.format("k%08d", math.random(0, n - 1)) .. suffix, headers)
end
