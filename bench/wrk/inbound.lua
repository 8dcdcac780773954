-- POST inbound messages: senders drawn from existing customers and new ones, wording from the bitext utterances.
local token = os.getenv("WRK_TOKEN")
local inboxes = {}
local texts = {}
local known = {}
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  for word in string.gmatch(os.getenv("WRK_INBOXES"), "%d+") do inboxes[#inboxes + 1] = word end
  for line in io.lines(os.getenv("WRK_TEXTS")) do texts[#texts + 1] = line end
  for line in io.lines(os.getenv("WRK_ADDRESSES")) do known[#known + 1] = line end
  math.randomseed(os.time() + tid * 7919)
end

function request()
  counter = counter + 1
  local sender
  if math.random() < 0.8 then
    sender = known[math.random(#known)]  -- existing customers
  else
    sender = string.format("bench-%d-%d-%d@example.net", os.time(), tid, counter)  -- first contact
  end
  local body = string.format(
    '{"inbox_id": %s, "sender": {"kind": "email", "address": "%s"}, "text": "%s", "external_id": "bench-%d-%d-%d"}',
    inboxes[math.random(#inboxes)], sender, texts[math.random(#texts)], os.time(), tid, counter)
  return wrk.format("POST", "/api/v1/messages/inbound",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 201 and status ~= 200 then io.stderr:write("status " .. status .. ": " .. body:sub(1, 300) .. "\n") end
end
