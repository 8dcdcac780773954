-- GET a rotating list of paths read from the file named by WRK_PATHS, with the bearer token in WRK_TOKEN or
-- the workspace's session cookie in WRK_COOKIE ("name=value").
local paths = {}
local token = os.getenv("WRK_TOKEN")
local cookie = os.getenv("WRK_COOKIE")
local i = 0

function init(args)
  for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
  i = math.random(#paths)
end

function request()
  i = i % #paths + 1
  local headers = {}
  if token then headers["Authorization"] = "Bearer " .. token end
  if cookie then headers["Cookie"] = cookie end
  return wrk.format("GET", paths[i], headers)
end

function response(status, headers, body)
  if status ~= 200 then io.stderr:write("status " .. status .. ": " .. body:sub(1, 200) .. "\n") end
end
