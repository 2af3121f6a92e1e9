-- wrk script for a static GET of one resource (GET /api/v1/applications/<id>,
-- GET /api/v1/tenders/<id>): the URL comes from the command line; the bearer token, if any, from
-- the environment variable BENCH_TOKEN or from wrk's first script argument (which wins), so that
-- it is not on wrk's command line:
--
--   BENCH_TOKEN=... wrk -t T -c C -d 10s -s get.lua URL          (authenticated)
--   wrk -t T -c C -d 10s -s get.lua URL                          (anonymous)
--
-- The request is built once per thread (no request()/response() callbacks, so wrk's own cost per
-- request stays that of a plain static run); `done` prints the summary as one JSON line. Answers
-- with a status above 399 are counted by wrk in errors.status.

function init(args)
   local token = args[1]
   if token == nil or token == "" then
      token = os.getenv("BENCH_TOKEN")
   end
   if token ~= nil and token ~= "" then
      wrk.headers["Authorization"] = "Bearer " .. token
   end
   wrk.headers["Accept"] = "application/json"
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.3f,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      summary.requests / (summary.duration / 1e6),
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max))
end
