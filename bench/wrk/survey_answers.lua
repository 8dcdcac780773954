-- POST one survey answer per request, each to its own link (a link works once), read from the file named by
-- WRK_PATHS; each wrk thread takes every n-th link so no two threads spend the same one. The CSRF double submit
-- is the same random value in the cookie and the form, as a browser that opened the page sends it.
local paths = {}
local i = 0
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  local n, mine = 0, id or 1  -- `id` is the global setup() set in this thread's state
  local all = tonumber(os.getenv("WRK_THREADS")) or 1
  for line in io.lines(os.getenv("WRK_PATHS")) do
    n = n + 1
    if n % all == mine - 1 then paths[#paths + 1] = line end
  end
end

function request()
  i = i % #paths + 1  -- past the end, links repeat and are refused (410): counted as errors, not answers
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "rapport_survey_csrf=benchcsrf"}
  -- Customers answer from their own addresses: each answer its own client (the server trusts loopback's header).
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", (id or 1) % 256, math.floor(i / 256) % 256, i % 256)
  return wrk.format("POST", paths[i], headers, "csrf_token=benchcsrf&q_csat=" .. (i % 5 + 1))
end
