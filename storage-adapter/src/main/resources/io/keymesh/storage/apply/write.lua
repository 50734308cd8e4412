-- keymesh apply library, part 2 of 5: the local write (km_w) and its command table, and the flush
-- of a database that local and received FLUSHDBs share (flush_at).

-- Each write command's merge rule is CMD.rule[cmd] (the generated part before this one): the rule
-- picks the path below, and the command name only the arguments' layout within it.

-- scripting commands km_w hands to script.lua (filled there): name -> function(call, args)
local SCRIPTING = {}

local ZADD_FLAGS = { nx = 1, xx = 1, gt = 1, lt = 1, ch = 1, incr = 1 }

-- commands whose integer reply 0 means nothing changed
local ZERO_NOOP = {
  setnx = 1, msetnx = 1, hdel = 1, srem = 1, zrem = 1, lrem = 1, hsetnx = 1, smove = 1,
  renamenx = 1, move = 1, copy = 1, lpushx = 1, rpushx = 1, pfadd = 1, xdel = 1, xack = 1,
  zremrangebyscore = 1, zremrangebyrank = 1, zremrangebylex = 1, xtrim = 1, linsert = 1,
}
-- member writes that assert their members even when the value is already there: the member's
-- stamp moves to the write's, so a concurrent earlier removal or write elsewhere does not win over it
local ASSERTS = { hset = 1, hmset = 1, sadd = 1 }

-- commands whose nil or empty reply means nothing changed
local NIL_NOOP = {
  lpop = 1, rpop = 1, spop = 1, getdel = 1, lmove = 1, rpoplpush = 1, blmove = 1, brpoplpush = 1,
  zpopmin = 1, zpopmax = 1, lmpop = 1, zmpop = 1, blmpop = 1, bzmpop = 1, blpop = 1, brpop = 1,
  bzpopmin = 1, bzpopmax = 1,
}

-- a[from..to] (every step-th); "to" comes from a client's count (LMPOP's numkeys ...), so the loop
-- stops at the last argument whatever the count says
local function range(a, from, to, step)
  local ks = {}
  for i = from, math.min(to, #a), step or 1 do ks[#ks + 1] = a[i] end
  return ks
end

local function find_opt(a, from, name)
  for i = from, #a do
    if string.lower(a[i]) == name then return i end
  end
  return nil
end

-- keys a command writes, from its arguments (a[1] is the first argument after the name)
local WRITTEN = {
  mset = function(a) return range(a, 1, #a, 2) end,
  msetnx = function(a) return range(a, 1, #a, 2) end,
  rename = function(a) return { a[1], a[2] } end,
  renamenx = function(a) return { a[1], a[2] } end,
  smove = function(a) return { a[1], a[2] } end,
  lmove = function(a) return { a[1], a[2] } end,
  blmove = function(a) return { a[1], a[2] } end,
  rpoplpush = function(a) return { a[1], a[2] } end,
  brpoplpush = function(a) return { a[1], a[2] } end,
  copy = function(a) return { a[2] } end,
  bitop = function(a) return { a[2] } end,
  sort = function(a)
    local i = find_opt(a, 2, 'store')
    if i then return { a[i + 1] } end
    return {}
  end,
  georadius = function(a)
    local i = find_opt(a, 2, 'store') or find_opt(a, 2, 'storedist')
    if i then return { a[i + 1] } end
    return {}
  end,
  lmpop = function(a) return range(a, 2, 1 + (tonumber(a[1]) or 0)) end,
  zmpop = function(a) return range(a, 2, 1 + (tonumber(a[1]) or 0)) end,
  blmpop = function(a) return range(a, 3, 2 + (tonumber(a[2]) or 0)) end,
  bzmpop = function(a) return range(a, 3, 2 + (tonumber(a[2]) or 0)) end,
  blpop = function(a) return range(a, 1, #a - 1) end,
  brpop = function(a) return range(a, 1, #a - 1) end,
  bzpopmin = function(a) return range(a, 1, #a - 1) end,
  bzpopmax = function(a) return range(a, 1, #a - 1) end,
  xgroup = function(a) if a[2] then return { a[2] } end return {} end,
  xreadgroup = function(a)
    local i = find_opt(a, 1, 'streams')
    if not i then return {} end
    local n = math.floor((#a - i) / 2)
    return range(a, i + 1, i + n)
  end,
}
WRITTEN.georadiusbymember = WRITTEN.georadius

local function written_keys(cmd, a)
  local f = WRITTEN[cmd]
  if f then return f(a) end
  if a[1] == nil then return {} end
  return { a[1] }
end

-- an entry under construction: flat field/value list, t and x first
local function entry_new(stamp, txn, db)
  -- x (the txn id) is left out when 0: outside MULTI an entry is t, then its ops
  local f = { 't', stamp }
  if txn ~= '0' then
    f[3] = 'x'
    f[4] = txn
  end
  if db ~= 0 then
    f[#f + 1] = 'b'
    f[#f + 1] = tostring(db)
  end
  return { f = f, db = db, ops = 0 }
end

local function entry_key(en, db, key)
  if db ~= en.db then
    en.f[#en.f + 1] = 'b'
    en.f[#en.f + 1] = tostring(db)
    en.db = db
  end
  en.f[#en.f + 1] = 'k'
  en.f[#en.f + 1] = key
  en.ops = en.ops + 1
end

local function entry_op(en, name, value)
  en.f[#en.f + 1] = name
  en.f[#en.f + 1] = value
end

-- before an increment's total ('i', 'j'): the flush epoch it counts from, when db has one
local function entry_epoch(ctx, en, db)
  local ep = epoch_of(ctx, db)
  if ep ~= '' then entry_op(en, 'q', ep) end
end

-- entries with more fields than this carry their ops packed (msgpack) in one field 'm', since a
-- Lua call takes at most a few thousand arguments
local FIELDS_INLINE_MAX = 512
-- plain SETs of one km_ws call sharing one log entry: at most this many (6 fields each)
local SETS_PER_ENTRY_MAX = 64
-- commands with more arguments than this are refused before they change anything
local ARGS_MAX = 7900

-- each origin's log key, built once ("km:log:" .. origin would make and intern a new string on
-- every write)
local LOG_KEY = {}
local function log_key(origin)
  local k = LOG_KEY[origin]
  if k == nil then
    k = 'km:log:' .. origin
    LOG_KEY[origin] = k
  end
  return k
end

-- appends entry en as seq of origin's log (db 2N selected)
local function log_xadd(origin, seq, en)
  local f = en.f
  if #f > FIELDS_INLINE_MAX then
    local head = 2
    if f[3] == 'x' then head = 4 end
    local ops = {}
    for i = head + 1, #f do ops[#ops + 1] = f[i] end
    local packed = {}
    for i = 1, head do packed[i] = f[i] end
    packed[head + 1] = 'm'
    packed[head + 2] = cmsgpack.pack(ops)
    f = packed
  end
  redis.call('XADD', log_key(origin), seq, unpack(f))   -- id "<seq>" is "<seq>-0"
end

-- the log entries of km_wr's commands so far, which it logs at its end (log_run_end): a list of
-- field lists, consecutive entries joined into one while its fields stay inline (each keeps its own
-- "t", so a receiver applies each at its own stamp, as in an entry of plain SETs); nil outside km_wr
local log_run = nil

-- the field list of log_run that an entry of n fields goes onto: its last one, or a new one when
-- that would no longer be inline
function RUN.log_onto(n)
  local f = log_run[#log_run]
  if f == nil or #f + n > FIELDS_INLINE_MAX then
    f = {}
    log_run[#log_run + 1] = f
  end
  return f
end

-- begins an entry of size fields in log_run, on f (its last field list, j fields long; nil: none)
-- while that stays inline, else on a new list: writes "t <t> [b <dbs>] k <key>" and returns the list
-- and its length (an entry's fields go on a list inline, without a table of its own)
function RUN.log_entry(f, j, size, t, dbs, key)
  if f == nil or j + size > FIELDS_INLINE_MAX then
    f = {}
    log_run[#log_run + 1] = f
    j = 0
  end
  f[j + 1] = 't'
  f[j + 2] = t
  if dbs then
    f[j + 3] = 'b'
    f[j + 4] = dbs
    j = j + 2
  end
  f[j + 3] = 'k'
  f[j + 4] = key
  return f, j + 4
end

local function log_append(N, origin, en)
  if log_run then
    local f, e = RUN.log_onto(#en.f), en.f
    local n = #f
    for i = 1, #e do f[n + i] = e[i] end
    return
  end
  sel(2 * N)
  local seq = redis.call('HINCRBY', 'km:pos', origin, 1)
  log_xadd(origin, seq, en)
  return seq
end

-- appends the entry of a plain SET outside MULTI, "t T [b db] k key s value", as seq of origin's
-- log (db 2N selected), its fields spelled out rather than built in a table
local function log_xadd_set(origin, seq, t, db, key, value)
  if db == 0 then
    redis.call('XADD', log_key(origin), seq, 't', t, 'k', key, 's', value)
  else
    redis.call('XADD', log_key(origin), seq, 't', t, 'b', tostring(db), 'k', key, 's', value)
  end
end

local function pexpiretime(db, key)
  sel(db)
  local e = redis.call('PEXPIRETIME', key)
  if e < 0 then return 0 end
  return e
end

-- records the current whole state of one written key (state, expiry, counters seen)
local function record_state(ctx, en, db, key, existed)
  sel(db)
  local ty = redis.call('TYPE', key)['ok']
  if ty == 'none' and not existed then return end
  local m = meta_load(ctx.N + db, key)
  local rec = { db = db, key = key, meta = m, vec = {} }
  for o, c in pairs(m.cv) do rec.vec[o] = { st = c.st, tot = c.tot } end
  entry_key(en, db, key)
  if next(m.cv) ~= nil then entry_op(en, 'v', seen_str(m.cv)) end
  -- counted members: the totals this whole-key state has seen (reset by it on every node)
  for mb, mty in pairs(counted_members(m)) do
    local cv = member_cv(m, mb)
    rec.mvec = rec.mvec or {}
    rec.mvec[mb] = { ty = mty, vec = {} }
    for o, c in pairs(cv) do rec.mvec[mb].vec[o] = { st = c.st, tot = c.tot } end
    entry_op(en, 'c', mb)
    entry_op(en, 'u', (mty == 'zset' and 'z ' or 'h ') .. seen_str(cv))
  end
  if ty == 'none' then
    rec.kind = 'd'
    entry_op(en, 'd', '')
  else
    if ty == 'string' then
      sel(db)
      rec.kind = 's'
      rec.payload = redis.call('GET', key)
    else
      sel(db)
      rec.kind = 'r'
      rec.payload = redis.call('DUMP', key)
    end
    entry_op(en, rec.kind, rec.payload)
    rec.e = pexpiretime(db, key)
    if rec.e > 0 then entry_op(en, 'e', num(rec.e)) end
  end
  merge_key(ctx, rec, true)
end

local function counter_delta(cmd, a)
  if cmd == 'incr' then return 1 end
  if cmd == 'decr' then return -1 end
  if cmd == 'incrby' then return tonumber(a[2]) end
  if cmd == 'decrby' then return -tonumber(a[2]) end
  return tonumber(a[2])
end

local function is_empty(r)
  if r == false or r == nil then return true end
  if type(r) == 'table' and r.err == nil and r.ok == nil and r.map == nil and r.set == nil
      and r.double == nil and #r == 0 then
    return true
  end
  return false
end

local function arity_fix(r, cmd)
  if type(r) == 'table' and r.err and string.find(r.err, 'Wrong number of args calling Redis command from script', 1, true) then
    return { err = "ERR wrong number of arguments for '" .. cmd .. "' command" }
  end
  return r
end

-- list commands (rule list_ops) are merged per element (core.lua, "Lists"); the blocking pops run
-- as LMPOP, LMOVE or RPOPLPUSH (unblocked, below)

local function end_of(word)
  if string.lower(word or '') == 'right' then return 't' end
  return 'h'
end

-- what a list command needs to know before it runs: nil when a key it writes has no ids matching its
-- data (written natively, by a blocking pop), so that the command records the key's whole state and
-- gives it ids again; for LREM the ids of the elements it will remove, for LTRIM how many at each end
local function list_before(ctx, db, cmd, a)
  local pre = {}
  for _, k in ipairs(written_keys(cmd, a)) do
    if not list_aligned(meta_load(ctx.N + db, k), db, k) then
      sel(db)
      local ty = redis.call('TYPE', k)['ok']
      if ty == 'list' then return nil end
    end
  end
  local key = a[1]
  if cmd == 'lrem' and a[3] then
    local count = tonumber(a[2])
    if count == nil then return pre end
    sel(db)
    local at
    if count > 0 then at = redis.pcall('LPOS', key, a[3], 'RANK', '1', 'COUNT', a[2])
    elseif count < 0 then at = redis.pcall('LPOS', key, a[3], 'RANK', '-1', 'COUNT', string.sub(a[2], 2))
    else at = redis.pcall('LPOS', key, a[3], 'COUNT', '0') end
    pre.ids = {}
    if type(at) == 'table' and at.err == nil then
      sel(ctx.N + db)
      for _, p in ipairs(at) do pre.ids[#pre.ids + 1] = redis.call('LINDEX', key, p + 1) end
    end
  elseif cmd == 'ltrim' then
    local start, stop = tonumber(a[2] or ''), tonumber(a[3] or '')
    sel(db)
    local len = redis.pcall('LLEN', key or '')
    if start == nil or stop == nil or type(len) ~= 'number' then return pre end
    if start < 0 then start = len + start end
    if stop < 0 then stop = len + stop end
    if start < 0 then start = 0 end
    if start > stop or start >= len then
      pre.left, pre.right = len, 0
    else
      if stop >= len then stop = len - 1 end
      pre.left, pre.right = start, len - stop - 1
    end
  end
  return pre
end

-- a local push of vals on side of key, already in the data: ids at the write's stamp, logged as
-- H (head) or T (tail) per value; a key it created starts with no expiry
local function list_log_push(ctx, en, db, key, side, vals, existed)
  local m = meta_load(ctx.N + db, key)
  meta_to_list(m)
  list_push_local(m, side, ctx.t, #vals, entry_src(ctx))
  m.lt = ctx.t
  meta_save(m, true)
  entry_key(en, db, key)
  local op = side == 'h' and 'H' or 'T'
  for _, v in ipairs(vals) do entry_op(en, op, v) end
  if not existed then
    merge_key(ctx, { db = db, key = key, kind = 'e', e = 0 }, true)
    entry_op(en, 'e', '0')
  end
end

-- a local removal of elements, already gone from the data: logged as X per id
local function list_log_removed(en, db, key, ids)
  if #ids == 0 then return end
  entry_key(en, db, key)
  for _, id in ipairs(ids) do entry_op(en, 'X', id) end
end

local function list_log_pop(ctx, en, db, key, side, n)
  local m = meta_load(ctx.N + db, key)
  list_log_removed(en, db, key, list_pop_local(m, side, n))
end

--[[
KM.TOUCH <key> <op> <arg> after a blocking pop that ran natively (a function cannot block): op
LPOP/RPOP, arg the number of elements it took from that end; op LPUSH/RPUSH, arg the value it put
there (the destination of BLMOVE/BRPOPLPUSH). Recorded by element when the key's ids differ from its
data by exactly that; otherwise (another native pop of the key not yet recorded, or the key written
since) the caller records the key's whole state. Returns whether it recorded.
]]
local function list_touch(ctx, en, db, key, op, arg)
  local m = meta_load(ctx.N + db, key)
  sel(db)
  local len = redis.pcall('LLEN', key)
  if type(len) ~= 'number' then return false end
  local ids = 0
  if m.kind == 'l' then ids = list_len(m) end
  if op == 'lpop' or op == 'rpop' then
    local n = tonumber(arg)
    if m.kind ~= 'l' or n == nil or n < 1 or ids - len ~= n then return false end
    list_log_removed(en, db, key, list_pop_local(m, op == 'lpop' and 'h' or 't', n))
    return true
  elseif op == 'lpush' or op == 'rpush' then
    if len - ids ~= 1 then return false end
    sel(db)
    if redis.call('LINDEX', key, op == 'lpush' and 0 or -1) ~= arg then return false end
    list_log_push(ctx, en, db, key, op == 'lpush' and 'h' or 't', { arg }, ids > 0)
    return true
  end
  return false
end

--[[
A blocking list pop cannot run inside a function (Redis refuses it there), so km_w runs what it does
when a list has elements: BLPOP/BRPOP as LMPOP (the reply reshaped to [key, value]), BLMPOP as
LMPOP, BLMOVE as LMOVE, BRPOPLPUSH as RPOPLPUSH, the timeout checked as Redis checks it and dropped.
Returns the command to run, its arguments, and whether to reshape the reply; or nil and an error.
]]
local function unblocked(cmd, a)
  local timeout
  local out = {}
  if cmd == 'blpop' or cmd == 'brpop' then
    timeout = a[#a]
    out[1] = tostring(#a - 1)
    for i = 1, #a - 1 do out[#out + 1] = a[i] end
    out[#out + 1] = cmd == 'blpop' and 'LEFT' or 'RIGHT'
  elseif cmd == 'blmpop' then
    timeout = a[1]
    for i = 2, #a do out[#out + 1] = a[i] end
  else
    timeout = a[#a]
    for i = 1, #a - 1 do out[#out + 1] = a[i] end
  end
  local t = tonumber(timeout or '')
  if t == nil or t ~= t or t == math.huge then return nil, { err = 'ERR timeout is not a float or out of range' } end
  if t < 0 then return nil, { err = 'ERR timeout is negative' } end
  if cmd == 'blpop' or cmd == 'brpop' then return 'lmpop', out, true end
  if cmd == 'blmpop' then return 'lmpop', out, false end
  if cmd == 'blmove' then return 'lmove', out, false end
  return 'rpoplpush', out, false
end
local BLOCKING_LIST = { blpop = 1, brpop = 1, blmpop = 1, blmove = 1, brpoplpush = 1 }

-- records what list command cmd (arguments a, reply r, pre from list_before) changed, by element
local function list_record(ctx, en, db, cmd, a, r, pre, existed)
  local N = ctx.N
  if cmd == 'lpush' or cmd == 'lpushx' or cmd == 'rpush' or cmd == 'rpushx' then
    local vals = {}
    for i = 2, #a do vals[#vals + 1] = a[i] end
    list_log_push(ctx, en, db, a[1], string.sub(cmd, 1, 1) == 'l' and 'h' or 't', vals, existed[a[1]])
  elseif cmd == 'lpop' or cmd == 'rpop' then
    local n = 1
    if type(r) == 'table' then n = #r end
    list_log_pop(ctx, en, db, a[1], cmd == 'lpop' and 'h' or 't', n)
  elseif cmd == 'lmpop' then
    list_log_pop(ctx, en, db, r[1], end_of(a[2 + tonumber(a[1])]), #r[2])
  elseif cmd == 'lmove' or cmd == 'rpoplpush' then
    local from, to = 't', 'h'
    if cmd == 'lmove' then from, to = end_of(a[3]), end_of(a[4]) end
    list_log_pop(ctx, en, db, a[1], from, 1)
    list_log_push(ctx, en, db, a[2], to, { r }, existed[a[2]] or a[1] == a[2])
  elseif cmd == 'lrem' then
    local m = meta_load(N + db, a[1])
    sel(m.mdb)
    for _, id in ipairs(pre.ids) do redis.call('LSET', a[1], redis.call('LPOS', a[1], id), LIST_MARK) end
    redis.call('LREM', a[1], 0, LIST_MARK)
    list_log_removed(en, db, a[1], pre.ids)
  elseif cmd == 'ltrim' and pre.left then
    local m = meta_load(N + db, a[1])
    sel(m.mdb)
    local ids = {}
    if pre.left > 0 then ids = redis.call('LRANGE', a[1], 1, pre.left) end
    if pre.right > 0 then
      for _, id in ipairs(redis.call('RPOP', a[1], pre.right)) do ids[#ids + 1] = id end
    end
    if pre.left > 0 then
      local popped = redis.call('LPOP', a[1], pre.left + 1)
      redis.call('LPUSH', a[1], popped[1])
    end
    list_log_removed(en, db, a[1], ids)
  end
end

-- how many marks a page of XREVRANGE over km:marks reads while looking for one older than a flush
local MARK_PAGE = 16
-- log entries read per XRANGE while collecting the keys a remote flush must look at
local LOG_PAGE = 512
-- a remote flush reads up to this many entries, or as many as the db and its metadata hold keys
local LOG_READ_MIN = 4096

-- adds to keys every key of user db `db` that log entry fields f name (db: the entry's current db)
local function named_keys(f, db, keys, at)
  at = at or { db = 0 }
  for i = 1, #f, 2 do
    local name, v = f[i], f[i + 1]
    if name == 'm' then
      named_keys(cmsgpack.unpack(v), db, keys, at)
    elseif name == 'b' then
      at.db = tonumber(v)
    elseif name == 'k' and at.db == db then
      keys[v] = true
    end
  end
end

-- the keys of user db `db` named by the entries after positions `from` (origin -> seq) in this
-- node's logs and by the entries of the km_r call under way (ctx.fresh); nil and why when a log no
-- longer holds the first entry after its position ('log-gap'), or when there are more entries to
-- read than keys in the db and its metadata ('too-many-entries': scanning them costs less). Also
-- returns the positions it read up to, as HGETALL km:pos gives them.
local function keys_since(ctx, db, from)
  local N = ctx.N
  sel(N + db)
  local budget = redis.call('DBSIZE')
  sel(db)
  budget = math.max(LOG_READ_MIN, budget + redis.call('DBSIZE'))
  sel(2 * N)
  local pos, spans = redis.call('HGETALL', 'km:pos'), {}
  for i = 1, #pos, 2 do
    local p, head = from[pos[i]] or 0, tonumber(pos[i + 1])
    if head > p then
      budget = budget - (head - p)
      if budget < 0 then return nil, 'too-many-entries' end
      spans[#spans + 1] = { log_key(pos[i]), p }
    end
  end
  local keys = {}
  for _, span in ipairs(spans) do
    local after = string.format('%d-0', span[2])
    local expect = string.format('%d-0', span[2] + 1)
    local page
    repeat
      page = redis.call('XRANGE', span[1], '(' .. after, '+', 'COUNT', LOG_PAGE)
      if expect then
        -- the log must still hold the first entry after the position
        if #page == 0 or page[1][1] ~= expect then return nil, 'log-gap' end
        expect = nil
      end
      for _, e in ipairs(page) do named_keys(e[2], db, keys) end
      if #page > 0 then after = page[#page][1] end
    until #page < LOG_PAGE
  end
  for _, e in ipairs(ctx.fresh or {}) do
    named_keys({ unpack(ctx.argv, e.from, e.to) }, db, keys)
  end
  return keys, nil, pos
end

-- the state of the scan ahead of a remote flush of db at t (km_flushscan), in db 2N
local function scan_key(db, t)
  return 'km:fscan:' .. db .. ':' .. t
end

-- the scan state under key sk: its fields (tries, snaps, done), and the log positions it holds
-- ("p:<origin>" fields) as origin -> seq
local function scan_state(N, sk)
  sel(2 * N)
  local flat = redis.call('HGETALL', sk)
  local st, from = {}, {}
  for i = 1, #flat, 2 do
    local f = flat[i]
    if string.sub(f, 1, 2) == 'p:' then
      from[string.sub(f, 3)] = tonumber(flat[i + 1])
    else
      st[f] = flat[i + 1]
    end
  end
  return st, from
end

-- a flush at t is applied ahead key by key this many times at most (a snapshot merged meanwhile,
-- or a log trimmed past where the scan began, starts it over); then it scans in one call
local SCAN_AHEAD_TRIES = 3

-- the keys a remote flush of db at t must still look at after km_flushscan went over the db ahead
-- of it: those named by the entries logged since the scan began; nil when no finished scan for this
-- flush can vouch for that (none, or a snapshot merged keys into db since it began)
local function scanned_candidates(ctx, db, t)
  local st, from = scan_state(ctx.N, scan_key(db, t))
  if st.done ~= '1' then return nil end
  if (redis.call('HGET', 'km:snapcount', tostring(db)) or '0') ~= st.snaps then return nil end
  return keys_since(ctx, db, from)
end

--[[
The keys of user db `db` that can hold a stamp later than flush stamp t, found without scanning the
db: every key named by a log entry (of any origin, in this node's logs) appended after the newest
mark (km_mark) whose clock reading is not later than t, and by the entries of the km_r call that is
applying the flush (ctx.fresh). Every entry appended before such a mark has stamps earlier than its
reading, hence than t. When that cannot be vouched for (no mark is old enough, a log no longer holds
the entries after its mark, a snapshot merged a stamp later than t into db (km:snapmax), or there
are more entries to read than keys to scan) returns nil and why; or, when km_flushscan has gone over
the db ahead of this flush, the keys written since it began, why, and true. Within one call the
answer for a db and stamp is worked out once (km_r asks before it applies, purge_older when it does).
]]
local function find_candidates(ctx, db, t)
  local N = ctx.N
  sel(2 * N)
  local why = nil
  local snap = redis.call('HGET', 'km:snapmax', tostring(db))
  if snap and snap > t then why = 'snapshot' end
  local mark, before = nil, '+'
  if why == nil then
    local reading = string.sub(t, 1, 16)
    while mark == nil and why == nil do
      local page = redis.call('XREVRANGE', 'km:marks', before, '-', 'COUNT', MARK_PAGE)
      for _, e in ipairs(page) do
        if e[2][2] <= reading then
          mark = e[2]
          break
        end
        before = '(' .. e[1]
      end
      if mark == nil and #page < MARK_PAGE then why = 'no-mark' end
    end
  end
  if mark then
    local from = {}
    for i = 3, #mark, 2 do from[mark[i]] = tonumber(mark[i + 1]) end
    local keys
    keys, why = keys_since(ctx, db, from)
    if keys then return keys end
  end
  local ahead = scanned_candidates(ctx, db, t)
  if ahead then return ahead, why, true end
  return nil, why
end

local function flush_candidates(ctx, db, t)
  ctx.found = ctx.found or {}
  local id = db .. ':' .. t
  local f = ctx.found[id]
  if f == nil then
    f = { find_candidates(ctx, db, t) }
    ctx.found[id] = f
  end
  return f[1], f[2], f[3]
end

-- whether a remote flush of db at t should wait for km_flushscan to go over the db ahead of it: the
-- logs cannot name what it keeps, no finished scan can, and the scan has not been started over
-- SCAN_AHEAD_TRIES times already (then the flush scans in its own call)
local function scan_wanted(ctx, db, t)
  if flush_candidates(ctx, db, t) then return false end
  sel(2 * ctx.N)
  return tonumber(redis.call('HGET', scan_key(db, t), 'tries') or '0') < SCAN_AHEAD_TRIES
end

-- a key of db dbi as DUMP gives it with its absolute expiry (0: none), or nil when absent
local function take_key(dbi, k)
  sel(dbi)
  local d = redis.call('DUMP', k)
  if not d then return nil end
  local e = redis.call('PEXPIRETIME', k)
  if e < 0 then e = 0 end
  return { d, e }
end

local function put_key(dbi, k, taken)
  if taken then
    sel(dbi)
    redis.call('RESTORE', k, taken[2], taken[1], 'ABSTTL')
  end
end

-- whether a flush at t keeps key k of db: when something in its metadata m is newer than t (members
-- of hashes, sets and sorted sets have their own stamps: the delete at t sorts them)
local function outlives_flush(m, t)
  -- counter totals the flush wipes do not keep a key
  drop_flushed(m.cv, t)
  return max_stamp(m) > t or m.kind == 'h' or m.kind == 'l'
end

-- what a flush at t leaves of key k of db, which holds something later than t: the flush acts on it
-- as a delete at t (ctx.t), so members and whole values written later survive, and counter totals
-- counted from before the flush are gone (their nodes restart them after it)
local function trim_kept(ctx, db, k, t)
  local m = meta_load(ctx.N + db, k)
  local changed = false
  if next(m.cv) ~= nil then
    local before = sigma(m)
    drop_flushed(m.cv, t)
    -- on a value: less on top of it; with none under the totals (deleted later than set): what
    -- the remaining ones sum to, or no key
    fix_counter(db, k, m, sigma(m) - before)
    changed = true
  end
  -- the same for each counted member, whatever its register or the key's last whole change
  for mb, ty in pairs(counted_members(m)) do
    local cv = member_cv(m, mb)
    local before = cv_sum(cv)
    drop_flushed(cv, t)
    local flag, st = field_meta(m, mb)
    settle_member(m, db, k, ty, mb, flag, st, cv, cv_sum(cv) - before)
    set_member_cv(m, mb, ty, cv)
    changed = true
  end
  if changed then meta_save(m, exists(db, k)) end
  merge_key(ctx, { db = db, key = k, kind = 'd', flush = true }, false)
end

-- a flush at t (ctx.t) applied to key k of db alone: gone with its metadata when nothing in it is
-- later than t, else trimmed (trim_kept); returns whether it stays
local function flush_key(ctx, db, k, t)
  if outlives_flush(meta_load(ctx.N + db, k), t) then
    trim_kept(ctx, db, k, t)
    return true
  end
  sel(ctx.N + db)
  redis.call('DEL', k)
  sel(db)
  redis.call('DEL', k)
  return false
end

-- removes every key of user db `db` (and its metadata) whose newest stamp is older than t, and trims
-- the rest: the keys flush_candidates names are looked at and the rest of both dbs flushed around
-- them (the data with FLUSHDB's option mode, 'ASYNC', 'SYNC' or nil); when km_flushscan went over
-- the db ahead, only the keys written since it began are left to look at; else both dbs are
-- scanned key by key
local function purge_older(ctx, db, t, mode)
  local N = ctx.N
  local candidates, why, ahead = flush_candidates(ctx, db, t)
  sel(2 * N)
  local way = 'logged'
  if ahead then way = 'ahead' elseif not candidates then way = 'scanned' end
  redis.call('HINCRBY', 'km:flushes', way, 1)
  if why then redis.call('HINCRBY', 'km:flushes', 'scanned:' .. why, 1) end
  if ahead then
    for k in pairs(candidates) do flush_key(ctx, db, k, t) end
  elseif candidates then
    local kept = {}
    for k in pairs(candidates) do
      if outlives_flush(meta_load(N + db, k), t) then
        kept[k] = { take_key(db, k), take_key(N + db, k) }
      end
    end
    sel(db)
    if mode then redis.call('FLUSHDB', mode) else redis.call('FLUSHDB') end
    -- clients never see the metadata: its memory is freed in the background whatever they asked
    sel(N + db)
    redis.call('FLUSHDB', 'ASYNC')
    for k, two in pairs(kept) do
      put_key(db, k, two[1])
      put_key(N + db, k, two[2])
    end
    for k in pairs(kept) do trim_kept(ctx, db, k, t) end
  else
    sel(N + db)
    local keep = {}
    for _, k in ipairs(redis.call('KEYS', '*')) do
      if flush_key(ctx, db, k, t) then keep[k] = true end
    end
    sel(db)
    for _, k in ipairs(redis.call('KEYS', '*')) do
      if not keep[k] then redis.call('DEL', k) end
    end
  end
end

--[[
A FLUSHDB of user db `db` at stamp ctx.t, the client's own here or one received: when later than the
db's epoch, every key holding nothing later than it goes (kept keys take a delete at ctx.t) and
ctx.t becomes the epoch, which refuses every older write from then on. A local flush does what
receivers do, so that a write another connection got in between the flush's stamp and its run
(later stamp, run earlier) survives it here as it does everywhere. mode: FLUSHDB's option for the
dbs flushed whole ('ASYNC' or 'SYNC', nil: Redis' default).
]]
local function flush_at(ctx, db, mode)
  local ep = epoch_of(ctx, db)
  if ctx.t > ep then purge_older(ctx, db, ctx.t, mode) end
  sel(2 * ctx.N)
  -- whatever way it took (or none, when a later flush came first), a scan ahead of it is over
  redis.call('DEL', scan_key(db, ctx.t))
  if ctx.t <= ep then return end
  redis.call('HSET', 'km:epoch', tostring(db), ctx.t)
  ctx.epochs[db] = ctx.t
end

local function check_db(n, N)
  local d = tonumber(n)
  if d == nil or d ~= math.floor(d) then return nil, { err = 'ERR value is not an integer or out of range' } end
  if d < 0 or d >= N then return nil, { err = 'ERR DB index is out of range' } end
  return d
end

-- A plain SET (SET key value, no option) has its value written first, then its register stamp by
-- one SET ... GET in the metadata db that also reads the old metadata back: when that was just a
-- register stamp (or none), nothing else is needed; otherwise set_merged does the general merge.

-- the stamp a plain SET's register ends with, its stamp t (p: packed form) written over old, a bare
-- stamp: t, or just past old when old is not earlier (db N+db selected)
local function set_stamp(key, t, p, old)
  if old and not later_than_stored(t, p, old) then
    t = stored_stamp(old) .. '0'
    redis.call('SET', key, stamp_form(t))
  end
  return t
end

-- a plain SET of a key whose metadata held more than a register stamp (old, as SET ... GET returned
-- it: a string, or an error for member metadata): puts old back, merges the new state by the merge
-- rules and returns the log entry
local function set_merged(N, db, origin, t, txn, key, value, old)
  sel(N + db)
  if type(old) == 'string' then
    redis.call('SET', key, old, 'KEEPTTL')
  end
  local ctx = { N = N, t = t, origin = origin }
  local m = meta_load(N + db, key)
  local newest = newest_stamp(m)
  if newest >= ctx.t then ctx.t = newest .. '0' end
  local en = entry_new(ctx.t, txn, db)
  entry_key(en, db, key)
  local vec = {}
  if next(m.cv) ~= nil then
    for o, c in pairs(m.cv) do vec[o] = { st = c.st, tot = c.tot } end
    entry_op(en, 'v', seen_str(m.cv))
  end
  entry_op(en, 's', value)
  merge_key(ctx, { db = db, key = key, meta = m, kind = 's', payload = value, e = 0, vec = vec }, true)
  return en
end

-- a local write's stamp t, or one just past db's flush epoch when t is not later: a write that ran
-- here after a flush, its stamp taken before the flush's on another connection, stays after the
-- flush on every node (receivers refuse writes not later than the epoch)
local function past_epoch(ctx, db, t)
  local ep = epoch_of(ctx, db)
  if ep ~= '' and t <= ep then return ep .. '0' end
  return t
end

-- one plain SET, as km_w runs it (name: the command as the client spelled it); returns its reply,
-- OK or an error, the same in RESP2 and RESP3
local function set_plain(N, db, origin, t, txn, key, value, name)
  t = past_epoch({ N = N }, db, t)
  sel(db)
  local r = redis.pcall(name, key, value)
  if type(r) == 'table' and r.err then return r end
  sel(N + db)
  local p = packed_form(t)
  local old = redis.pcall('SET', key, p or t, 'KEEPTTL', 'GET')
  local en = nil
  if bare_stamp(old) then
    t = set_stamp(key, t, p, old)
    if txn == '0' and not log_run then
      sel(2 * N)
      log_xadd_set(origin, redis.call('HINCRBY', 'km:pos', origin, 1), t, db, key, value)
      return r
    end
    en = entry_new(t, txn, db)
    entry_key(en, db, key)
    entry_op(en, 's', value)
  else
    en = set_merged(N, db, origin, t, txn, key, value, old)
  end
  log_append(N, origin, en)
  return r
end

-- km_ws reads and writes with one MGET or MSET a call of this many SETs or more (fewer cost less SET
-- by SET: two commands each, where a call makes three or four) and at most SETS_TOGETHER_MAX (more
-- go SET by SET: a Lua call takes at most a few thousand arguments)
RUN.SETS_TOGETHER_MIN = 6
RUN.SETS_TOGETHER_MAX = 1000

--[[
km_ws: FCALL km_ws 0 <N> <origin> <db> { <stamp> <packed> <key> <value> } ...
Consecutive plain SETs of clients of user db <db> (outside MULTI) in one call: each has the effect,
log entry and reply km_w would give it, in order; returns the replies as an array. <packed> is the
stamp as packed_form gives it (the caller packs it: in Lua that costs more than the rest of a SET's
glue), or empty for the library to work it out. The caller's connection has db SELECTed. The values
are written first, all by one MSET; then the register stamps: the old metadata read by one MGET, the
new stamps written by one MSET (a key whose metadata holds more than a register stamp merges as
set_merged does; metadata of another type sends the stamps SET ... GET by SET ... GET; a call of
fewer than RUN.SETS_TOGETHER_MIN SETs writes values and stamps SET by SET); then the
log: SETs whose stamp was all there was to merge are logged together, up to SETS_PER_ENTRY_MAX in
one entry with a "t" field per SET. A key written twice in one call sends the call SET by SET
(set_plain), each merge seeing the last.
]]
local function km_ws(_, argv)
  reset_db()
  log_run = nil
  local N, origin, db = tonumber(argv[1]), argv[2], tonumber(argv[3])
  cur_db = db
  local argn = #argv
  local n = (argn - 3) / 4
  if n < 1 or n % 1 ~= 0 then
    return { err = 'ERR keymesh: km_ws takes <N> <origin> <db> and one or more <stamp> <packed> <key> <value>' }
  end
  local replies = {}
  -- the keys (seen: key -> true), and the keys with their values (MSET's arguments)
  local keys, kv, seen = {}, {}, {}
  for i = 1, n do
    local key = argv[4 * i + 2]
    if seen[key] then
      for j = 4, argn, 4 do
        replies[#replies + 1] = set_plain(N, db, origin, argv[j], '0', argv[j + 2], argv[j + 3], 'SET')
      end
      return replies
    end
    seen[key] = true
    keys[i] = key
    kv[2 * i - 1] = key
    kv[2 * i] = argv[4 * i + 3]
  end
  local together = n >= RUN.SETS_TOGETHER_MIN and n <= RUN.SETS_TOGETHER_MAX
  if together then
    local r = redis.pcall('MSET', unpack(kv))
    for i = 1, n do replies[i] = r end
    if type(r) == 'table' and r.err then return replies end
  else
    for i = 1, n do replies[i] = redis.pcall('SET', keys[i], kv[2 * i]) end
  end
  -- the old metadata, when every key's is a string or absent (MGET answers false for another type)
  local olds = nil
  sel(N + db)
  if together then
    olds = redis.call('MGET', unpack(keys))
    local absent = {}
    for i = 1, n do
      if olds[i] == false then absent[#absent + 1] = keys[i] end
    end
    if #absent > 0 and redis.call('EXISTS', unpack(absent)) > 0 then olds = nil end
  end
  -- per SET: its final register stamp (nothing more to merge), or the entry set_merged built
  local stamps, entries, logged = {}, {}, 0
  local ep = epoch_of({ N = N }, db)
  local metas = {}
  for i = 1, n do
    local r = replies[i]
    if not (type(r) == 'table' and r.err) then
      local at = 4 * i
      local t, p, key = argv[at], argv[at + 1], keys[i]
      -- (past_epoch)
      if ep ~= '' and t <= ep then t = ep .. '0' end
      if p == '' or t ~= argv[at] then p = packed_form(t) end
      if olds then
        local old = olds[i]
        if bare_stamp(old) then
          if old and not later_than_stored(t, p, old) then
            t = stored_stamp(old) .. '0'
            p = packed_form(t)
          end
          metas[#metas + 1] = key
          metas[#metas + 1] = p or t
          stamps[i] = t
        else
          entries[i] = set_merged(N, db, origin, t, '0', key, kv[2 * i], nil)
        end
      else
        sel(N + db)
        local old = redis.pcall('SET', key, p or t, 'KEEPTTL', 'GET')
        if bare_stamp(old) then
          stamps[i] = set_stamp(key, t, p, old)
        else
          entries[i] = set_merged(N, db, origin, t, '0', key, kv[2 * i], old)
        end
      end
      logged = logged + 1
    end
  end
  if #metas > 0 then
    sel(N + db)
    redis.call('MSET', unpack(metas))
  end
  if logged == 0 then return replies end
  -- consecutive SETs whose stamp was all there was to merge share one log entry, "t T [b db] k key
  -- s value" then "t T k key s value" per further SET (one XADD for all of them); a SET that merged
  -- more is an entry of its own
  local logs, group, gn = {}, nil, 0
  local dbs = db ~= 0 and tostring(db)
  for i = 1, n do
    local t = stamps[i]
    if t then
      if group == nil or gn >= SETS_PER_ENTRY_MAX * 6 then
        if dbs then
          group = { 't', t, 'b', dbs }
          gn = 4
        else
          group = { 't', t }
          gn = 2
        end
        logs[#logs + 1] = group
      else
        group[gn + 1] = 't'
        group[gn + 2] = t
        gn = gn + 2
      end
      group[gn + 1] = 'k'
      group[gn + 2] = keys[i]
      group[gn + 3] = 's'
      group[gn + 4] = kv[2 * i]
      gn = gn + 4
    elseif entries[i] then
      logs[#logs + 1] = entries[i]
      group = nil
    end
  end
  sel(2 * N)
  local seq = redis.call('HINCRBY', 'km:pos', origin, #logs) - #logs
  local log = log_key(origin)
  for _, en in ipairs(logs) do
    seq = seq + 1
    if en.f then
      log_xadd(origin, seq, en)
    else
      redis.call('XADD', log, seq, unpack(en))
    end
  end
  return replies
end

-- records the key's expiry register as the command left it (or, when the command removed the key,
-- the key's whole state: an expiry in the past deletes)
local function record_expiry(ctx, en, db, key)
  if exists(db, key) then
    local e = pexpiretime(db, key)
    merge_key(ctx, { db = db, key = key, kind = 'e', e = e }, true)
    entry_key(en, db, key)
    entry_op(en, 'e', num(e))
  else
    record_state(ctx, en, db, key, true)
  end
end

-- The commands clients send most, each with every lookup made once: the general path below reads
-- a key's metadata up to three times and its members twice. Each returns nil, having changed
-- nothing, when the key needs the general path; else it leaves exactly the data, metadata and log
-- entry the general path would.

-- fields a plain HSET may name to take its own path (HMGET takes two per field)
local HSET_PLAIN_MAX = 255

-- INCR, DECR, INCRBY, DECRBY of a key holding a canonical integer or nothing, whose metadata is a
-- string or absent: the counter op of origin ctx.origin's running total
local function incr_plain(ctx, db, cmd, name, a, txn)
  local key, N = a[1], ctx.N
  sel(N + db)
  local mv = redis.pcall('GET', key)
  if mv ~= false and type(mv) ~= 'string' then return nil end   -- member or list metadata
  sel(db)
  local cur = redis.pcall('GET', key)
  if cur ~= false and not canonical_number(cur) then return nil end
  local r = redis.pcall(name, unpack(a))
  if type(r) == 'table' and r.err then return arity_fix(r, cmd) end
  local m = parse_meta(mv or '')
  m.kind, m.key, m.mdb = mv and 's' or 'n', key, N + db
  local newest = max_stamp(m)
  if newest >= ctx.t then ctx.t = newest .. '0' end
  local k = total_key(ctx.origin, epoch_of(ctx, db))
  local c = m.cv[k]
  if c == nil then
    c = { st = '', tot = 0, seen = 0 }
    m.cv[k] = c
  end
  c.tot = c.tot + counter_delta(cmd, a)
  c.st = ctx.t
  local en = entry_new(ctx.t, txn, db)
  entry_key(en, db, key)
  entry_epoch(ctx, en, db)
  entry_op(en, 'i', num(c.tot))
  if cur == false then
    -- a new key starts with no expiry
    m.e = 0
    m.et = ctx.t
    entry_op(en, 'e', '0')
  end
  meta_save(m, true)
  log_append(N, ctx.origin, en)
  return r
end

-- HSET of fields none of which is counted (HINCRBY), on a key whose metadata is per-member or
-- absent: each field's register moves to the write's stamp
local function hset_plain(ctx, db, cmd, name, a, txn)
  local key, N = a[1], ctx.N
  if #a < 3 or #a % 2 == 0 or #a > 2 * HSET_PLAIN_MAX then return nil end
  -- the fields in the order they first appear, each with the last value given
  local fields, value, q = {}, {}, { '' }
  for i = 2, #a, 2 do
    local f = a[i]
    if value[f] == nil then
      fields[#fields + 1] = f
      q[#q + 1] = 'f' .. f
      q[#q + 1] = 'c' .. f
    end
    value[f] = a[i + 1]
  end
  sel(N + db)
  local h = redis.pcall('HMGET', key, unpack(q))
  if type(h) ~= 'table' or h.err then return nil end             -- key-level or list metadata
  local m = parse_meta(h[1] or '')
  m.kind, m.key, m.mdb = 'h', key, N + db
  local newest = max_stamp(m)
  for j = 1, #fields do
    if h[2 * j + 1] then return nil end                             -- a counted field
    local st = h[2 * j]
    if st then
      st = string.sub(st, 2)
      if st > newest then newest = st end
    end
  end
  sel(db)
  local existed = redis.call('EXISTS', key) == 1
  local r = redis.pcall(name, unpack(a))
  if type(r) == 'table' and r.err then return arity_fix(r, cmd) end
  if newest >= ctx.t then ctx.t = newest .. '0' end
  local t = ctx.t
  local en = entry_new(t, txn, db)
  entry_key(en, db, key)
  local fm = {}
  for _, f in ipairs(fields) do
    entry_op(en, 'h', f)
    entry_op(en, 'w', value[f])
    fm[#fm + 1] = 'f' .. f
    fm[#fm + 1] = '+' .. t
  end
  if not existed then
    m.e = 0
    m.et = t
    entry_op(en, 'e', '0')
  end
  fm[#fm + 1] = ''
  fm[#fm + 1] = meta_str(m)
  sel(N + db)
  redis.call('HSET', key, unpack(fm))
  meta_ttl(m, true)
  log_append(N, ctx.origin, en)
  return r
end

local PLAIN = { incr = incr_plain, decr = incr_plain, incrby = incr_plain, decrby = incr_plain, hset = hset_plain }

--[[
write_cmd: one client write command `name` (as the client spelled it) with arguments `a`, run with
Redis' own semantics and reply (in protocol `proto`) on user db `db`, which the caller's connection
has SELECTed; merges the keys' metadata at `stamp` and appends one log entry with transaction id
`txn` ('0' outside MULTI), none when nothing changed. km_w runs one per call; a script runs one
per write it makes (script.lua); km_wr one per command of its run, sharing `epochs` (the dbs' flush
epochs as read at the start of the call: no command of a run flushes).
]]
local function write_cmd(proto, db, N, origin, stamp, txn, name, a, epochs)
  local cmd = string.lower(name or '')
  local ctx = { N = N, origin = origin, epochs = epochs }
  cur_db = db
  stamp = past_epoch(ctx, db, stamp)
  if cmd == 'flushall' then
    for d = 0, N - 1 do stamp = past_epoch(ctx, d, stamp) end
  end
  ctx.t = stamp
  sel(db)
  if cmd == 'set' and #a == 2 then return set_plain(N, db, origin, stamp, txn, a[1], a[2], name) end
  local plain = PLAIN[cmd]
  if plain and a[1] ~= nil and #a <= ARGS_MAX then
    local r = plain(ctx, db, cmd, name, a, txn)
    if r ~= nil then return r end
  end
  local run, reshape = name, false
  if BLOCKING_LIST[cmd] and #a >= 2 then
    cmd, a, reshape = unblocked(cmd, a)
    if cmd == nil then return a end
    run = cmd
  end

  if #a > ARGS_MAX then
    return { err = 'ERR keymesh: ' .. string.upper(cmd) .. ' with more than ' .. ARGS_MAX
      .. ' arguments cannot be applied atomically; split it into smaller commands' }
  end
  local refused = CMD.refused[cmd]
  if refused then return { err = refused } end
  local rule = CMD.rule[cmd]
  local counter, expiry, delete = rule == 'counter', rule == 'expiry', rule == 'key_delete'

  -- node-local writes (XSETID: a stream's last ID and counters are each node's own, see merge.md)
  -- run here only
  if rule == 'node_local' then
    sel(db)
    redis.setresp(proto)
    local r = redis.pcall(run, unpack(a))
    redis.setresp(2)
    return arity_fix(r, cmd)
  end

  -- streams are merged per entry (stream.lua)
  local stream_cmd = STREAM.cmds[cmd]
  if stream_cmd and a[1] ~= nil then return stream_cmd(ctx, proto, db, name, a, txn) end

  if cmd == 'km.touch' then
    if #a ~= 1 and #a ~= 3 then return { err = "ERR wrong number of arguments for 'km.touch' command" } end
    -- later than everything it records over, like any write
    local newest = newest_stamp(meta_load(N + db, a[1]))
    if newest >= stamp then
      stamp = newest .. '0'
      ctx.t = stamp
    end
    local en = entry_new(stamp, txn, db)
    if #a == 1 or not list_touch(ctx, en, db, a[1], string.lower(a[2]), a[3]) then
      record_state(ctx, en, db, a[1], true)
    end
    if en.ops > 0 then log_append(N, origin, en) end
    return { ok = 'OK' }
  end

  if cmd == 'flushdb' or cmd == 'flushall' then
    local async = nil
    if a[1] then
      local o = string.lower(a[1])
      if #a > 1 or (o ~= 'async' and o ~= 'sync') then return { err = 'ERR syntax error' } end
      async = a[1]
    end
    local en = entry_new(stamp, txn, db)
    if cmd == 'flushdb' then
      flush_at(ctx, db, async)
      entry_op(en, 'f', tostring(db))
    else
      for d = 0, N - 1 do
        flush_at(ctx, d, async)
        entry_op(en, 'f', tostring(d))
      end
    end
    log_append(N, origin, en)
    return { ok = 'OK' }
  end

  -- where the written keys live (MOVE and COPY ... DB reach another user db)
  local targets = {}
  if cmd == 'move' then
    if #a == 2 then
      local d, err = check_db(a[2], N)
      if err then return err end
      targets = { { db, a[1] }, { d, a[1] } }
    end
  elseif cmd == 'copy' then
    local i = find_opt(a, 3, 'db')
    local d = db
    if i and a[i + 1] then
      local err
      d, err = check_db(a[i + 1], N)
      if err then return err end
    end
    if a[2] then targets = { { d, a[2] } } end
  elseif delete or expiry or counter then
    targets = {}
  else
    for _, k in ipairs(written_keys(cmd, a)) do targets[#targets + 1] = { db, k } end
  end
  -- MOVE and COPY ... DB write another db too: past its epoch as well
  for _, tg in ipairs(targets) do
    if tg[1] ~= db then
      stamp = past_epoch(ctx, tg[1], stamp)
      ctx.t = stamp
    end
  end

  -- per-member commands: which members to look at, and their state before the command
  local members = nil
  local before = {}
  local member_type = CMD.member_type[rule]
  if member_type then
    members = {}
    local key = a[1]
    local seen = {}
    local function add(mb)
      if mb ~= nil and not seen[mb] then
        seen[mb] = true
        members[#members + 1] = mb
      end
    end
    if cmd == 'hset' or cmd == 'hmset' or cmd == 'hsetnx' then
      for i = 2, #a, 2 do add(a[i]) end
    elseif cmd == 'hincrby' or cmd == 'hincrbyfloat' or cmd == 'zincrby' then
      add(a[cmd == 'zincrby' and 3 or 2])
    elseif cmd == 'smove' then
      add(a[3])
    elseif cmd == 'zadd' then
      local i = 2
      while a[i] and ZADD_FLAGS[string.lower(a[i])] do i = i + 1 end
      for j = i + 1, #a, 2 do add(a[j]) end
    else
      for i = 2, #a do add(a[i]) end
    end
    for _, mb in ipairs(members) do before[mb] = member_value(db, key, member_type, mb) or false end
    targets = {}
  end

  -- an increment of a number not written the way INCRBY/INCRBYFLOAT write it ("01", "1.50")
  -- replicates as the whole new value: only canonical numbers take increments on receivers
  local counter_on_text = false
  if counter and a[1] then
    sel(db)
    local cur = redis.pcall('GET', a[1])
    if type(cur) == 'string' and not canonical_number(cur) then
      counter_on_text = true
      targets = { { db, a[1] } }
    end
  end

  -- keys a per-member or counter command may create: a new key starts with no expiry
  local fresh = {}
  if members or counter then
    fresh[1] = a[1]
    if cmd == 'smove' then
      if a[1] == a[2] then
        -- moving a member onto its own set changes nothing
        sel(db)
        redis.setresp(proto)
        local r0 = redis.pcall('SMOVE', unpack(a))
        redis.setresp(2)
        return arity_fix(r0, cmd)
      end
      fresh[2] = a[2]
    end
    for i, k in ipairs(fresh) do
      if k ~= nil and exists(db, k) then fresh[i] = false end
    end
  end
  local function mark_fresh(en, key)
    for _, k in ipairs(fresh) do
      if k == key and exists(db, key) then
        merge_key(ctx, { db = db, key = key, kind = 'e', e = 0 }, true)
        entry_op(en, 'e', '0')
      end
    end
  end

  local existed = {}
  local del_existed = {}
  if delete then
    sel(db)
    for i, k in ipairs(a) do del_existed[i] = redis.call('EXISTS', k) == 1 end
  else
    for i, tk in ipairs(targets) do existed[i] = exists(tk[1], tk[2]) end
  end

  local lpre = nil
  if rule == 'list_ops' then lpre = list_before(ctx, db, cmd, a) end

  sel(db)
  redis.setresp(proto)
  local r = redis.pcall(run, unpack(a))
  redis.setresp(2)
  if type(r) == 'table' and r.err then return arity_fix(r, cmd) end
  if ZERO_NOOP[cmd] and r == 0 then return r end
  if cmd == 'set' and (find_opt(a, 3, 'nx') and existed[1] or find_opt(a, 3, 'xx') and not existed[1]) then
    return r
  end
  if NIL_NOOP[cmd] and is_empty(r) then return r end

  -- a write is later than everything it overwrites: if the node's clock ever handed out a stamp
  -- not above a key's newest stamp, the entry gets that stamp with a '0' appended (still sorted
  -- right after it, before any later stamp) so every node orders it the same way
  local touched = {}
  for _, tk in ipairs(targets) do touched[#touched + 1] = tk end
  if delete then
    for _, k in ipairs(a) do touched[#touched + 1] = { db, k } end
  elseif a[1] and (expiry or counter or members) then
    touched[#touched + 1] = { db, a[1] }
    if cmd == 'smove' and a[2] then touched[#touched + 1] = { db, a[2] } end
  end
  local newest = ''
  for _, tk in ipairs(touched) do
    local m = meta_load(N + tk[1], tk[2])
    -- a member command writes its members only; anything else writes the whole key
    local ms = members and max_stamp(m) or newest_stamp(m)
    if ms > newest then newest = ms end
    if members and tk[2] == a[1] then
      for _, mb in ipairs(members) do
        local _, st = field_meta(m, mb)
        if st and st > newest then newest = st end
        for _, c in pairs((member_cv(m, mb))) do
          if c.st > newest then newest = c.st end
        end
      end
    end
  end
  if newest >= stamp then
    stamp = newest .. '0'
    ctx.t = stamp
  end

  local en = entry_new(stamp, txn, db)
  if members then
    local key = a[1]
    local ty = member_type
    if cmd == 'smove' then
      -- the member left the source and joined the destination
      if r == 1 then
        entry_key(en, db, key)
        merge_member(ctx, db, key, 'set', a[3], nil, true)
        entry_op(en, 'g', a[3])
        entry_key(en, db, a[2])
        merge_member(ctx, db, a[2], 'set', a[3], '', true)
        entry_op(en, 'a', a[3])
        mark_fresh(en, a[2])
      end
    else
      local keyed = false
      -- an increment of a number written the way the increment commands write it is a counter
      -- op; of anything else ("01", "1.50") a write of the resulting value
      local counting = CMD.member_counter[rule] and (before[members[1]] == false or canonical_number(before[members[1]]))
      for _, mb in ipairs(members) do
        local now = member_value(db, key, ty, mb)
        if (ASSERTS[cmd] and now ~= nil) or (now ~= before[mb] and not (now == nil and before[mb] == false)) then
          if not keyed then
            entry_key(en, db, key)
            keyed = true
          end
          local ftag = ty == 'zset' and 'z' or 'h'
          if counting then
            local delta = tonumber(cmd == 'zincrby' and a[2] or a[3])
            local tot = merge_count(ctx, db, key, ty, mb, nil, true, delta, before[mb] ~= false)
            entry_op(en, ftag, mb)
            entry_epoch(ctx, en, db)
            entry_op(en, 'j', num(tot))
          else
            local cv = {}
            if ty ~= 'set' then cv = member_cv(meta_load(N + db, key), mb) end
            if next(cv) ~= nil then
              entry_op(en, ftag, mb)
              entry_op(en, 'u', seen_str(cv))
            end
            merge_member(ctx, db, key, ty, mb, now, true)
            if now == nil then
              entry_op(en, 'g', mb)
            elseif ty == 'set' then
              entry_op(en, 'a', mb)
            else
              if next(cv) == nil then entry_op(en, ftag, mb) end
              entry_op(en, 'w', now)
            end
          end
        end
      end
      if keyed then mark_fresh(en, key) end
    end
  elseif counter and not counter_on_text then
    local m = meta_load(N + db, a[1])
    local rec = { db = db, key = a[1], meta = m, kind = 'i', delta = counter_delta(cmd, a) }
    m = merge_key(ctx, rec, true)
    entry_key(en, db, a[1])
    entry_epoch(ctx, en, db)
    entry_op(en, 'i', num(m.cv[counting_key(ctx, db, nil, true)].tot))
    mark_fresh(en, a[1])
  elseif delete then
    for i, k in ipairs(a) do
      if del_existed[i] then record_state(ctx, en, db, k, true) end
    end
  elseif expiry then
    -- GETEX changes the expiry only with an option, and only of a key it found
    if cmd == 'getex' then
      if r == false or r == nil or #a == 1 then return r end
    elseif r == 0 then
      return r
    end
    record_expiry(ctx, en, db, a[1])
  elseif lpre then
    local had = {}
    for i, tk in ipairs(targets) do had[tk[2]] = had[tk[2]] or existed[i] end
    -- the reply in RESP2, whatever the client speaks (a RESP3 map or set has the same items)
    list_record(ctx, en, db, cmd, a, r, lpre, had)
  else
    local single = nil
    if (cmd == 'blpop' or cmd == 'brpop' or cmd == 'bzpopmin' or cmd == 'bzpopmax' or cmd == 'lmpop'
        or cmd == 'zmpop' or cmd == 'blmpop' or cmd == 'bzmpop') and type(r) == 'table' then
      single = r[1]
    end
    for i, tk in ipairs(targets) do
      if single == nil or tk[2] == single then
        record_state(ctx, en, tk[1], tk[2], existed[i])
      end
    end
  end
  if en.ops > 0 then log_append(N, origin, en) end
  if reshape then return { r[1], r[2][1] } end
  return r
end

--[[
km_w: FCALL km_w 0 <proto> <db> <N> <origin> <stamp> <txn> <command> [args...]
Runs the command with Redis' own semantics and reply, merges the key metadata, appends one log
entry (none when nothing changed). Scripting commands (EVAL, EVALSHA, SCRIPT ...) run through
SCRIPTING (script.lua): a script's writes are each merged and logged as write_cmd does, all under
one transaction id.
]]
local function km_w(_, argv)
  reset_db()
  log_run = nil
  -- SET as clients mostly spell it; any other spelling takes the general path, to the same effect
  local name = argv[7]
  if #argv == 9 and (name == 'SET' or name == 'set') then
    return set_plain(tonumber(argv[3]), tonumber(argv[2]), argv[4], argv[5], argv[6], argv[8], argv[9], name)
  end
  local a = {}
  for i = 8, #argv do a[#a + 1] = argv[i] end
  local proto, db, N = tonumber(argv[1]), tonumber(argv[2]), tonumber(argv[3])
  local script = SCRIPTING[string.lower(name or '')]
  if script then
    cur_db = db
    return script({ proto = proto, db = db, N = N, origin = argv[4], stamp = argv[5], txn = argv[6] }, a)
  end
  return write_cmd(proto, db, N, argv[4], argv[5], argv[6], name, a)
end

--[[
km_wr: FCALL km_wr 0 <N> <origin> <db> { <stamp> <argc> <command> [args...] } ...
Write commands of several clients of user db <db> (outside MULTI, each with argc - 1 arguments) in
one call: each runs as km_w runs it, in the given order, and gets its own reply; returns the
replies as an array. Their log entries are written at the end, consecutive ones joined into one
entry (log_run). The caller batches only commands whose reply is the same in RESP2 and RESP3
(integers, bulk strings, errors). An error raised inside one command is that command's reply
only: the commands before it keep their effect, their log entries and their replies.
]]
-- logs the entries of km_wr's commands (log_run), one position update for all
local function log_run_end(N, origin, entries)
  if #entries == 0 then return end
  sel(2 * N)
  local seq = redis.call('HINCRBY', 'km:pos', origin, #entries) - #entries
  for _, f in ipairs(entries) do
    seq = seq + 1
    log_xadd(origin, seq, { f = f })
  end
end

-- the counter commands RUN.incr takes together, with the argument count each needs
RUN.counter = { incr = 1, decr = 1, incrby = 2, decrby = 2 }

-- A run's commands (km_wr) as RUN.incr and RUN.hset take them, W: command c's stamp is
-- W.argv[W.at[c]], its name W.argv[W.at[c] + 2] (W.lo[c] in lower case), its W.na[c] arguments follow.

--[[
RUN.incr: consecutive INCR, DECR, INCRBY and DECRBY commands of a km_wr run (W's commands from .. to
- 1) with each lookup made once for the whole run: every key's metadata and value read by one MGET
each, the replies, totals and log entries worked out here in order, then one INCRBY per key (which
keeps a key's TTL, as INCR does) and one MSET of the metadata. Metadata in the form increments leave
it, "t|e|et|d|<origin> <stamp> <total> <seen>" with this node's running total the only one, is
rewritten in place as text; any other goes through parse_meta and meta_str. Each command gets
exactly the reply, metadata and log entry incr_plain gives it one by one. Returns the replies, or
nil, having changed nothing, when any command or key needs more (an argument or value that is not a
canonical integer of at most 15 digits, member or list metadata, another type): the commands then
run one by one through write_cmd.
]]
function RUN.incr(N, origin, db, epochs, W, from, to)
  local argv, at, na, lo = W.argv, W.at, W.na, W.lo
  -- the keys in the order they first appear (slot: key -> its index); per command its key's index
  -- and its delta
  local keys, slot, ki, delta = {}, {}, {}, {}
  for c = from, to - 1 do
    local l, p = lo[c], at[c] + 3
    if na[c] ~= RUN.counter[l] then return nil end
    local d = 1
    if l == 'decr' then
      d = -1
    elseif l ~= 'incr' then
      local v = argv[p + 1]
      if v == '' or not RUN.small_integer(v) then return nil end
      d = tonumber(v)
      if l == 'decrby' then d = -d end
    end
    local key = argv[p]
    local i = slot[key]
    if i == nil then
      i = #keys + 1
      keys[i] = key
      slot[key] = i
    end
    ki[c] = i
    delta[c] = d
  end
  local nk = #keys
  local mv = RUN.strings_of(N + db, keys)
  if mv == nil then return nil end
  local dv = RUN.strings_of(db, keys)
  if dv == nil then return nil end
  local cur = {}
  for i = 1, nk do
    local v = dv[i]
    if not RUN.small_integer(v) then return nil end
    cur[i] = v and tonumber(v) or 0
  end
  -- the replies, in order, before anything changes (a sum past exact arithmetic takes write_cmd)
  local replies = {}
  for c = from, to - 1 do
    local i = ki[c]
    local v = cur[i] + delta[c]
    if math.abs(v) >= 1e15 then return nil end
    cur[i] = v
    replies[c - from + 1] = v
  end
  local ep = epoch_of({ N = N, origin = origin, epochs = epochs }, db)
  local k = total_key(origin, ep)
  -- per key: in the counter form its parts (t, e, et, d: '' when empty) and the seen part of its
  -- total, else its metadata as parse_meta gives it (m); its total, newest stamp and the sum of the
  -- run's deltas
  local mt, me, met, md, seen, m, tot, newest, added = {}, {}, {}, {}, {}, {}, {}, {}, {}
  for i = 1, nk do
    local v = mv[i]
    local t0, e0, et0, d0, o, st, tt, sn = '', '', '', '', k, '', 0, '0'
    if v ~= false then
      -- (not a packed register stamp, whose bytes may hold anything)
      t0 = nil
      if (string.byte(v, 1) or 0) >= 32 then
        t0, e0, et0, d0, o, st, tt, sn = string.match(v,
          '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^%s|]+) ([^%s|]+) ([^%s|]+) ([^%s|]+)$')
      end
      if t0 then
        tt = tonumber(tt)
        if tt == nil or o ~= k or tonumber(sn) == nil then t0 = nil end
      end
    end
    if t0 then
      mt[i], me[i], met[i], md[i], seen[i], tot[i] = t0, e0, et0, d0, sn, tt
      -- (max_stamp)
      local s = t0
      if d0 > s then s = d0 end
      if et0 > s then s = et0 end
      if st > s then s = st end
      newest[i] = s
    else
      local mi = parse_meta(v)
      local c = mi.cv[k]
      if c == nil then
        c = { st = '', tot = 0, seen = 0 }
        mi.cv[k] = c
      end
      m[i], tot[i], newest[i] = mi, c.tot, max_stamp(mi)
    end
    added[i] = 0
  end
  -- each command's log entry: t, [b,] k, [q,] i, and e 0 on a key it creates
  local dbs = db ~= 0 and tostring(db)
  local size = 6
  if dbs then size = size + 2 end
  if ep ~= '' then size = size + 2 end
  -- per key: the stamp of the command that created it (a new key starts with no expiry)
  local first = {}
  -- (the last field list of log_run, and its length)
  local f = log_run[#log_run]
  local j = f and #f or 0
  for c = from, to - 1 do
    local i = ki[c]
    local t = argv[at[c]]
    -- (past_epoch; later than everything the key holds)
    if ep ~= '' and t <= ep then t = ep .. '0' end
    if newest[i] >= t then t = newest[i] .. '0' end
    newest[i] = t
    local total = tot[i] + delta[c]
    tot[i] = total
    added[i] = added[i] + delta[c]
    local fresh = dv[i] == false and first[i] == nil
    f, j = RUN.log_entry(f, j, fresh and size + 2 or size, t, dbs, keys[i])
    if ep ~= '' then
      f[j + 1] = 'q'
      f[j + 2] = ep
      j = j + 2
    end
    f[j + 1] = 'i'
    f[j + 2] = num(total)
    j = j + 2
    if fresh then
      first[i] = t
      f[j + 1] = 'e'
      f[j + 2] = '0'
      j = j + 2
    end
  end
  sel(db)
  for i = 1, nk do
    if added[i] ~= 0 or dv[i] == false then redis.call('INCRBY', keys[i], num(added[i])) end
  end
  local kv, ttl = {}, {}
  for i = 1, nk do
    local mi, s, e = m[i], nil, nil
    if mi then
      local c = mi.cv[k]
      c.tot = tot[i]
      c.st = newest[i]
      if first[i] then
        mi.e = 0
        mi.et = first[i]
      end
      s = meta_str(mi, true)
      if mi.e > 0 and mi.d == nil then e = num(mi.e) end
    else
      -- (meta_str: the expiry register's stamp left out when it is the register's; e 0 left out)
      local ev, et = 0, first[i] or met[i]
      if first[i] == nil then ev = tonumber(me[i]) or 0 end
      if et == mt[i] then et = '' end
      local es = ''
      if ev ~= 0 then es = num(ev) end
      local sn = seen[i]
      if sn ~= '0' then sn = num(tonumber(sn)) end
      s = mt[i] .. '|' .. es .. '|' .. et .. '|' .. md[i] .. '|' .. k .. ' ' .. newest[i] .. ' ' .. num(tot[i])
        .. ' ' .. sn
      if ev > 0 and md[i] == '' then e = es end
    end
    kv[2 * i - 1] = keys[i]
    kv[2 * i] = s
    if e then
      ttl[#ttl + 1] = keys[i]
      ttl[#ttl + 1] = e
    end
  end
  sel(N + db)
  redis.call('MSET', unpack(kv))
  for i = 1, #ttl, 2 do redis.call('PEXPIREAT', ttl[i], ttl[i + 1]) end
  return replies
end

--[[
RUN.hset: consecutive HSETs of one key in a km_wr run (W's commands from .. to - 1) with each lookup
made once for the whole run: the key's metadata and the fields' registers by one HMGET, the fields'
values by another (which ones each command adds), the key's existence, then one HSET of the data
and one of the metadata. Each command gets exactly the reply, metadata and log entry hset_plain
gives it one by one. Returns the replies, or nil, having changed nothing, when a command or the key
needs more (a malformed HSET, key-level or list metadata, a counted field, another type): the
commands then run one by one through write_cmd.
]]
function RUN.hset(N, origin, db, epochs, W, from, to)
  local argv, at, na = W.argv, W.at, W.na
  local key = argv[at[from] + 3]
  -- the fields in the order they first appear (fields), the first command's first_fields of them;
  -- what HMGET reads of the metadata (q): the key-level string, then per field its register and
  -- its counter, field x's at 2x and 2x + 1
  local q, fields, first_fields = { '' }, {}, 0
  local seen = {}
  for c = from, to - 1 do
    local n, p = na[c], at[c] + 3
    if n < 3 or n % 2 == 0 or n > 2 * HSET_PLAIN_MAX then return nil end
    for j = p + 1, p + n - 2, 2 do
      local f = argv[j]
      if seen[f] == nil then
        seen[f] = true
        local x = #fields + 1
        fields[x] = f
        q[2 * x] = 'f' .. f
        q[2 * x + 1] = 'c' .. f
      end
    end
    if c == from then first_fields = #fields end
  end
  local nf = #fields
  if 2 * nf + 1 > 2 * HSET_PLAIN_MAX + 1 then return nil end
  sel(N + db)
  local h = redis.pcall('HMGET', key, unpack(q))
  if type(h) ~= 'table' or h.err then return nil end               -- key-level or list metadata
  -- each field's register stamp (its flag dropped)
  local st = {}
  for x = 1, nf do
    if h[2 * x + 1] then return nil end                            -- a counted field
    local r = h[2 * x]
    if r then st[fields[x]] = string.sub(r, 2) end
  end
  sel(db)
  local dv = redis.pcall('HMGET', key, unpack(fields))
  if type(dv) ~= 'table' or dv.err then return nil end             -- another type
  local present, existed = {}, false
  for x = 1, nf do
    if dv[x] then
      present[fields[x]] = true
      existed = true
    end
  end
  if not existed then existed = redis.call('EXISTS', key) == 1 end
  local m = parse_meta(h[1] or '')
  m.kind, m.key, m.mdb = 'h', key, N + db
  local ep = epoch_of({ N = N, origin = origin, epochs = epochs }, db)
  local dbs = db ~= 0 and tostring(db)
  local newest_key = max_stamp(m)
  local replies, value = {}, {}
  -- (the last field list of log_run, and its length)
  local e = log_run[#log_run]
  local j = e and #e or 0
  for c = from, to - 1 do
    local n, p = na[c], at[c] + 3
    local t = argv[at[c]]
    -- (past_epoch)
    if ep ~= '' and t <= ep then t = ep .. '0' end
    -- the fields in the order they first appear, each with the last value given (one field: none)
    local names, last = nil, nil
    local newest = newest_key
    if n == 3 then
      local s = st[argv[p + 1]]
      if s and s > newest then newest = s end
    else
      names, last = {}, {}
      for x = p + 1, p + n - 2, 2 do
        local f = argv[x]
        if last[f] == nil then names[#names + 1] = f end
        last[f] = argv[x + 1]
      end
      for _, f in ipairs(names) do
        local s = st[f]
        if s and s > newest then newest = s end
      end
    end
    if newest >= t then t = newest .. '0' end
    -- its log entry: t, [b,] k, then h and w per field, and e 0 when it creates the key
    local size = 4 + 4 * (names and #names or 1)
    if dbs then size = size + 2 end
    if not existed then size = size + 2 end
    e, j = RUN.log_entry(e, j, size, t, dbs, key)
    local added = 0
    for y = 1, names and #names or 1 do
      local f, v
      if names then
        f = names[y]
        v = last[f]
      else
        f, v = argv[p + 1], argv[p + 2]
      end
      e[j + 1] = 'h'
      e[j + 2] = f
      e[j + 3] = 'w'
      e[j + 4] = v
      j = j + 4
      if not present[f] then
        added = added + 1
        present[f] = true
      end
      value[f] = v
      st[f] = t
    end
    if not existed then
      m.e = 0
      m.et = t
      newest_key = t
      e[j + 1] = 'e'
      e[j + 2] = '0'
      j = j + 2
      existed = true
    end
    replies[c - from + 1] = added
  end
  -- the metadata's fields in the order the commands one by one would add them: the first command's
  -- fields, the key-level string, then the fields the others add
  local kv, fm = {}, {}
  for x = 1, nf do
    local f = fields[x]
    kv[2 * x - 1] = f
    kv[2 * x] = value[f]
    fm[#fm + 1] = q[2 * x]
    fm[#fm + 1] = '+' .. st[f]
    if x == first_fields then
      fm[#fm + 1] = ''
      fm[#fm + 1] = meta_str(m)
    end
  end
  -- (the epoch may have been read in db 2N)
  sel(db)
  redis.call('HSET', key, unpack(kv))
  sel(N + db)
  redis.call('HSET', key, unpack(fm))
  meta_ttl(m, true)
  return replies
end

local function km_wr(_, argv)
  reset_db()
  local N, origin, db = tonumber(argv[1]), argv[2], tonumber(argv[3])
  local replies, epochs, entries = {}, {}, {}
  log_run = entries
  -- the commands (W, as RUN.incr takes them); bad: the call's arguments end in a malformed command
  local at, na, lo = {}, {}, {}
  local W = { argv = argv, at = at, na = na, lo = lo }
  local n, bad = 0, false
  local argn = #argv
  local i = 4
  while i <= argn do
    local argc = tonumber(argv[i + 1])
    if argc == nil or argc < 1 or argc % 1 ~= 0 or i + 1 + argc > argn then
      bad = true
      break
    end
    n = n + 1
    at[n], na[n], lo[n] = i, argc - 1, string.lower(argv[i + 2])
    i = i + 2 + argc
  end
  local c = 1
  while c <= n do
    -- consecutive counter commands, or HSETs of one key, go together when they can (RUN.incr,
    -- RUN.hset)
    local d, together = c, nil
    if RUN.counter[lo[c]] then
      while d <= n and RUN.counter[lo[d]] do d = d + 1 end
      together = RUN.incr(N, origin, db, epochs, W, c, d)
    elseif lo[c] == 'hset' and na[c] > 0 then
      local key = argv[at[c] + 3]
      while d <= n and lo[d] == 'hset' and na[d] > 0 and argv[at[d] + 3] == key do d = d + 1 end
      together = RUN.hset(N, origin, db, epochs, W, c, d)
    end
    if together then
      for _, r in ipairs(together) do replies[#replies + 1] = r end
    else
      -- one by one: the counter commands that could not go together, else the command at c
      if d == c then d = c + 1 end
      for q = c, d - 1 do
        local a, p = {}, at[q] + 3
        for j = p, p + na[q] - 1 do a[#a + 1] = argv[j] end
        -- write_cmd takes the connection's db for SELECTed, as km_w's caller leaves it
        sel(db)
        local ok, r = pcall(write_cmd, 2, db, N, origin, argv[at[q]], '0', argv[at[q] + 2], a, epochs)
        if not ok then
          if type(r) == 'table' and r.err then
            r = { err = r.err }
          else
            r = { err = 'ERR keymesh: ' .. tostring(r) }
          end
          reset_db()
        end
        replies[#replies + 1] = r
      end
    end
    c = d
  end
  log_run = nil
  log_run_end(N, origin, entries)
  if bad then
    replies[#replies + 1] = { err = 'ERR keymesh: km_wr takes <N> <origin> <db> and one or more <stamp> <argc> <command> [args...]' }
  end
  return replies
end
