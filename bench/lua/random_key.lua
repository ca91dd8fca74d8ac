-- GET <path prefix><key>, where key is k%08d of a uniformly random index in [0, n).
-- Arguments (after --): the path prefix, n.
local prefix, n

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  prefix = args[1]
  n = tonumber(args[2])
  math.randomseed(os.time() * 1000 + seed)
end

function request()
  return wrk.format("GET", prefix .. string.format("k%08d", math.random(0, n - 1)))
end
