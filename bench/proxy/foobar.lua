-- wrk script for bench/proxy/run.sh: rotates over the foobar table's four (Host, path) pairs
-- (examples/foobar.yaml: foo.org /a, foo.org /b, bar.org /a, bar.org /b), one request each in turn.
-- The path tail comes from BENCH_SUFFIX ("/hello" or "/bytes/65536"), so the requests are
-- foo.org /a/hello, foo.org /b/hello, bar.org /a/hello, bar.org /b/hello, ...
-- Headers given with -H (e.g. "Connection: close") are kept on every request.
local suffix = os.getenv("BENCH_SUFFIX") or "/hello"
local pairs_ = { { "foo.org", "/a" }, { "foo.org", "/b" }, { "bar.org", "/a" }, { "bar.org", "/b" } }
local reqs = {}
local n = 0

init = function(args)
   for i, p in ipairs(pairs_) do
      local headers = {}
      for k, v in pairs(wrk.headers) do headers[k] = v end
      headers["Host"] = p[1]
      reqs[i] = wrk.format("GET", p[2] .. suffix, headers)
   end
end

request = function()
   n = n % #reqs + 1
   return reqs[n]
end
