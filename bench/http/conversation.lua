-- wrk script: every connection holds realistic conversations, one after
-- another: POST /v1/conversations, then ten POSTs of messages to it with its
-- bearer token, then a new conversation. Works against trustcoach and against
-- bench/minimal_server (which answers every POST with the same body).
-- At the end it prints one line: "turns N creates N errors N".

local turns_per_conversation = 10
local messages = {
  "hi",
  "my husband cheated on me and i found out last week",
  "i feel so betrayed and angry, i can't sleep",
  "yes",
  "i don't know if i can ever trust him again",
  "how do we rebuild trust after an affair?",
  "give me an example",
  "we keep fighting whenever we try to talk about it",
  "the purple elephant sang all night",
  "should we see a couples therapist?",
}
local bodies = {}
for i, text in ipairs(messages) do
  bodies[i] = '{"text":"' .. text .. '"}'
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path = nil     -- messages path of the current conversation
  auth = nil
  turn = 0       -- messages sent in it
  turns = 0      -- totals for done()
  creates = 0
  errors = 0
end

function request()
  if path == nil or turn >= turns_per_conversation then
    path = nil
    return wrk.format("POST", "/v1/conversations",
                      {["Content-Type"] = "application/json"}, "{}")
  end
  turn = turn + 1
  return wrk.format("POST", path,
                    {["Content-Type"] = "application/json",
                     ["Authorization"] = auth},
                    bodies[turn])
end

function response(status, headers, body)
  if path == nil then
    local id = body:match('"id":"([^"]+)"')
    local token = body:match('"token":"([^"]+)"')
    if (status == 201 or status == 200) and id and token then
      path = "/v1/conversations/" .. id .. "/messages"
      auth = "Bearer " .. token
      turn = 0
      creates = creates + 1
    else
      errors = errors + 1
    end
  elseif status == 200 then
    turns = turns + 1
  else
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local t, c, e = 0, 0, 0
  for _, thread in ipairs(threads) do
    t = t + thread:get("turns")
    c = c + thread:get("creates")
    e = e + thread:get("errors")
  end
  io.write(string.format("turns %d creates %d errors %d\n", t, c, e))
  io.write(string.format("p50_us %d p99_us %d\n",
                         latency:percentile(50), latency:percentile(99)))
end
