-- GET <path prefix><key><suffix>, key k%08d of a uniformly random index in [0, n).
-- Arguments (after --): the path prefix, n, the suffix (e.g. "?track=candidate").
local prefix, n, suffix

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  prefix = args[1]
  n = tonumber(args[2])
  suffix = args[3] or ""
  math.randomseed(os.time() * 1000 + seed)
end

function request()
  return wrk.format("GET", prefix .. string.format("k%08d", math.random(0, n - 1)) .. suffix)
end
