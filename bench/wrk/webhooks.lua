-- POST pre-signed webhook requests read from WRK_REQUESTS (path, signature header, signature, content type, body
-- separated by tabs), each once: every thread takes its own slice of the file, so no request is a replay.
local requests = {}
local i, last = 0, 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  local all = {}
  for line in io.lines(os.getenv("WRK_REQUESTS")) do all[#all + 1] = line end
  local per = math.floor(#all / tonumber(os.getenv("WRK_THREADS")))
  for n = (tid - 1) * per + 1, tid * per do
    local path, header, signature, ctype, body = all[n]:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
    requests[#requests + 1] = wrk.format("POST", path, {[header] = signature, ["Content-Type"] = ctype}, body)
  end
end

function request()
  i = i % #requests + 1
  if i == #requests then io.stderr:write("webhook requests ran out; later ones are replays\n") end
  return requests[i]
end

function response(status, headers, body)
  if status ~= 200 then io.stderr:write("status " .. status .. ": " .. body:sub(1, 200) .. "\n") end
end
