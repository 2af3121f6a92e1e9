-- wrk script: POST /api/v1/applications/<id>/submit, each draft id exactly once.
--
--   wrk -t T -c C -d <upper bound> -H 'Authorization: Bearer ...' -s submit.lua URL -- IDS_FILE T DONE_DIR
--
-- Thread k (0-based) takes the ids on lines k+1, k+1+T, ... of IDS_FILE. Once its ids are all
-- sent, its connections wait (delay) instead of sending anything else; once they are all
-- answered, the thread writes DONE_DIR/<k> and stops. wrk's main thread still sleeps until -d,
-- so run.sh interrupts wrk (SIGINT) once every thread has written its file; that is why the
-- throughput is computed here, from the first request sent to the last answer received
-- (CLOCK_MONOTONIC through LuaJIT's ffi), not from wrk's own duration.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
   ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

-- main state: number the threads, keep them for `done`
local counter = 0
local threads = {}

function setup(thread)
   thread:set("tid", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

-- thread state
local ids = {}
local next_id = 1
local verified = false
local done_dir
local statuses = {}

function init(args)
   local file, nthreads = args[1], tonumber(args[2])
   done_dir = args[3]
   local line_no = 0
   for line in io.lines(file) do
      if line ~= "" then
         if line_no % nthreads == tid then
            table.insert(ids, line)
         end
         line_no = line_no + 1
      end
   end
   expected = #ids
   answered = 0
   non200 = 0
   first_us = -1
   last_us = -1
   first_error = ""
   status_list = ""
   -- wrk builds one request of thread 0 before starting, only to check it: that one must not
   -- use up an id.
   verified = (tid ~= 0)
end

function delay()
   if next_id > #ids then
      return 3600000 -- nothing left to send on this connection
   end
   return 0
end

function request()
   local id = ids[next_id]
   if id == nil then
      id = ids[#ids] or "00000000-0000-0000-0000-000000000000"
   elseif verified then
      next_id = next_id + 1
      if first_us < 0 then
         first_us = now_us()
      end
   else
      verified = true
   end
   return wrk.format("POST", "/api/v1/applications/" .. id .. "/submit", nil, "")
end

function response(status, headers, body)
   answered = answered + 1
   last_us = now_us()
   statuses[status] = (statuses[status] or 0) + 1
   if status ~= 200 then
      non200 = non200 + 1
      if first_error == "" then
         first_error = tostring(status) .. " " .. string.sub(body or "", 1, 300)
      end
   end
   if answered >= expected then
      local parts = {}
      for s, n in pairs(statuses) do
         table.insert(parts, string.format('"%d":%d', s, n))
      end
      status_list = table.concat(parts, ",")
      local f = io.open(done_dir .. "/" .. tid, "w")
      if f then
         f:write("done\n")
         f:close()
      end
      wrk.thread:stop()
   end
end

local function json_string(s)
   s = string.gsub(s, '[%c"\\]', function(c)
      return string.format("\\u%04x", string.byte(c))
   end)
   return '"' .. s .. '"'
end

function done(summary, latency, requests)
   local exp, ans, bad, first, last = 0, 0, 0, nil, nil
   local merged = {}
   local first_error = ""
   for _, t in ipairs(threads) do
      exp = exp + t:get("expected")
      ans = ans + t:get("answered")
      bad = bad + t:get("non200")
      local f, l = t:get("first_us"), t:get("last_us")
      if f >= 0 and (first == nil or f < first) then first = f end
      if l >= 0 and (last == nil or l > last) then last = l end
      if first_error == "" then first_error = t:get("first_error") end
      local sl = t:get("status_list")
      if sl ~= "" then
         for s, n in string.gmatch(sl, '"(%d+)":(%d+)') do
            merged[s] = (merged[s] or 0) + tonumber(n)
         end
      end
   end
   local parts = {}
   for s, n in pairs(merged) do
      table.insert(parts, string.format('"%s":%d', s, n))
   end
   local span = (first and last and last > first) and (last - first) or nil
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"expected":%d,"answered":%d,"non200":%d,' ..
      '"statuses":{%s},"first_error":%s,"span_us":%s,"rps":%s,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}}\n',
      summary.requests, summary.duration, exp, ans, bad,
      table.concat(parts, ","), json_string(first_error),
      span and string.format("%d", span) or "null",
      span and string.format("%.3f", ans / (span / 1e6)) or "null",
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max))
end
