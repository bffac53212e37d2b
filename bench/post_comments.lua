-- Posting comments for bench/http_bench.py (issue #8).
--
--   wrk -t2 -c16 -d10s -s bench/post_comments.lua http://127.0.0.1:PORT -- DATA
--
-- DATA is a text file the harness writes (http_bench.posting_file), one record a
-- line, fields separated by tabs:
--   path    <the form's action>
--   header  <name> <value>            sent with every request
--   sentence <text>                   comment text is 2 to 5 of these
--   first / last <name>               author names
--   request <cookie header> <fields>  one per comment: what the form page gave
--                                     (CSRF token, one-time ticket), url-encoded
-- Each thread takes every n-th request record, so no ticket is sent twice unless
-- the run outlasts them (then "reused" counts the repeats: double submits, which
-- Firsthand answers with a redirect to the first comment without storing one).
-- Author, email, address (X-Forwarded-For, from documentation ranges; the
-- harness trusts loopback as a proxy) and text vary with every request.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function split(line)
  local parts = {}
  for part in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(parts, part)
  end
  return parts
end

local function urlencode(text)
  text = text:gsub("[^%w%-%._~ ]", function(c)
    return string.format("%%%02X", c:byte())
  end)
  return (text:gsub(" ", "+"))
end

local path, shared, sentences, firsts, lasts, mine = "/", {}, {}, {}, {}, {}
sent, reused = 0, 0  -- globals: done() reads them with thread:get
acked, refused, forbidden, other = 0, 0, 0, 0

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  local index = 0
  for line in io.lines(file) do
    local p = split(line)
    if p[1] == "path" then path = p[2]
    elseif p[1] == "header" then shared[p[2]] = p[3]
    elseif p[1] == "sentence" then table.insert(sentences, p[2])
    elseif p[1] == "first" then table.insert(firsts, p[2])
    elseif p[1] == "last" then table.insert(lasts, p[2])
    elseif p[1] == "request" then
      if index % nthreads == id then table.insert(mine, {cookie = p[2], fields = p[3]}) end
      index = index + 1
    end
  end
  math.randomseed(1000 + id)
end

function request()
  sent = sent + 1
  local n = id * 100000000 + sent
  local entry = mine[(sent - 1) % #mine + 1]
  if sent > #mine then reused = reused + 1 end
  local picked, used = {}, {}
  for _ = 1, math.random(2, 5) do
    local k = math.random(#sentences)
    if not used[k] then used[k] = true; table.insert(picked, sentences[k]) end
  end
  table.insert(picked, "(Benchmark note " .. n .. ".)")
  local first, last = firsts[math.random(#firsts)], lasts[math.random(#lasts)]
  local body = entry.fields ..
    "&author_name=" .. urlencode(first .. " " .. last) ..
    "&author_email=" .. urlencode(first:lower() .. "." .. last:lower() .. n .. "@example.org") ..
    "&author_url=&author_title=&in_reply_to=&draft=&leave_blank=" ..
    "&body=" .. urlencode(table.concat(picked, " "))
  local headers = {}
  for name, value in pairs(shared) do headers[name] = value end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  if entry.cookie ~= "" then headers["Cookie"] = entry.cookie end
  local ranges = {"192.0.2.", "198.51.100.", "203.0.113."}
  headers["X-Forwarded-For"] = ranges[sent % 3 + 1] .. (math.floor(sent / 3) % 254 + 1)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status >= 300 and status < 400 then acked = acked + 1
  elseif status == 400 then refused = refused + 1
  elseif status == 403 then forbidden = forbidden + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local totals = {acked = 0, refused = 0, forbidden = 0, other = 0, reused = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'FIRSTHAND-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, ' ..
    '"acked": %d, "refused": %d, "forbidden": %d, "other": %d, "reused": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    totals.acked, totals.refused, totals.forbidden, totals.other, totals.reused))
end
