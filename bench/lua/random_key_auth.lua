-- GET <path prefix><key> with an Authorization header, key k%08d uniformly random in [0, n).
-- Arguments (after --): the path prefix, n, the Authorization header value ("" for none).
local prefix, n, headers

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  prefix = args[1]
  n = tonumber(args[2])
  headers = {}
  if args[3] ~= nil and args[3] ~= "" then
    headers["Authorization"] = args[3]
  end
  math.randomseed(os.time() * 1000 + seed)
end

function request()
  return wrk.format("GET", prefix .. string.format("k%08d", math.random(0, n - 1)), headers)
end
