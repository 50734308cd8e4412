-- keymesh apply library, part 3 of 5: streams merged per entry (XADD, XDEL, XTRIM).
-- Semantics: docs/design/merge.md ("Streams"). An entry is a member of its stream key, named by its
-- ID, with a register "f<id>" in the key's member metadata like a hash field's: "+<stamp>" when
-- added, "-<stamp>" when deleted (the tombstone a late XADD cannot pass). The stream's trim floor
-- (km:xfloor in the log db): entries below it are dropped wherever and whenever they arrive.
-- Log ops (stream-specific names): "xa <id>" then "xv <fields, msgpack>" (an entry added),
-- "xd <id>" (an entry deleted), "xt <floor>" (trimmed below floor).

-- IDs: "<ms>-<seq>", both decimal integers up to 2^64-1, compared as decimal strings (a Lua double
-- is exact only to 2^53)
local function dec_cmp(a, b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  if a == b then return 0 end
  return a < b and -1 or 1
end

local function id_parts(id)
  local ms, seq = string.match(id, '^(%d+)%-(%d+)$')
  if ms == nil then
    ms = string.match(id, '^(%d+)$')
    seq = '0'
  end
  if ms == nil then return nil end
  return (string.gsub(ms, '^0+(%d)', '%1')), (string.gsub(seq, '^0+(%d)', '%1'))
end

-- an ID as Redis writes it ("5" -> "5-0", no leading zeros), or nil when it is not one
local function id_canon(id)
  local ms, seq = id_parts(id)
  if ms == nil then return nil end
  return ms .. '-' .. seq
end

local function id_cmp(a, b)
  local am, as = id_parts(a)
  local bm, bs = id_parts(b)
  local c = dec_cmp(am, bm)
  if c ~= 0 then return c end
  return dec_cmp(as, bs)
end

-- a decimal string plus one
local function dec_succ(s)
  local i = #s
  local out = {}
  while i >= 1 do
    local d = string.byte(s, i) - 48
    if d < 9 then
      return string.sub(s, 1, i - 1) .. string.char(49 + d) .. string.rep('0', #s - i)
    end
    i = i - 1
  end
  return '1' .. string.rep('0', #s)
end

-- the smallest ID above id
local function id_succ(id)
  local ms, seq = id_parts(id)
  if seq == '18446744073709551615' then return dec_succ(ms) .. '-0' end
  return ms .. '-' .. dec_succ(seq)
end

--[[
A stream's trim floor only grows: the largest floor of all its trims, whatever their stamps, and a
delete or flush of the key keeps it, so every order of arrival drops the same entries (a floor
dropped by a flush would come too late on a node that had trimmed by it already). The floors live
in the log db (hash km:xfloor, field "<db>:<key>"), which flushes never touch; km_gc drops a floor
with the metadata of a key gone for good.
]]
local function floor_field(db, key)
  return tostring(db) .. ':' .. key
end

-- the stream's trim floor, or nil
local function floor_of(N, db, key)
  sel(2 * N)
  return redis.call('HGET', 'km:xfloor', floor_field(db, key)) or nil
end

STREAM.below_floor = function(N, db, key, id)
  local f = floor_of(N, db, key)
  return f ~= nil and id_cmp(id, f) < 0
end

-- XINFO STREAM of a stream key as a table (nil when absent or of another type)
local function stream_info(db, key)
  sel(db)
  local r = redis.pcall('XINFO', 'STREAM', key)
  if type(r) ~= 'table' or r.err then return nil end
  local info = {}
  for i = 1, #r, 2 do info[r[i]] = r[i + 1] end
  return info
end

STREAM.get = function(db, key, id)
  sel(db)
  local r = redis.pcall('XRANGE', key, id, id)
  if type(r) == 'table' and r.err then return nil, wrong_type(r) end
  if #r == 0 then return nil end
  return cmsgpack.pack(r[1][2])
end

--[[
Puts entry id (fields packed, or nil to delete it) into the stream key of db. An entry above the
stream's last ID is a plain XADD; one below (added concurrently on another node) goes in between:
the entries after it are taken out (XDEL), the stream's last ID set back to the one before it
(XSETID), the entry added, the taken ones added back with their IDs, and the stream's last ID,
entries-added and max-deleted-entry-id set back to what they were (plus this entry). Costs the
entries added after it, which are the concurrent ones.
]]
STREAM.put = function(db, key, id, packed)
  sel(db)
  local ty = redis.call('TYPE', key)['ok']
  if ty ~= 'none' and ty ~= 'stream' then return false end
  if packed == nil then
    if ty == 'stream' then redis.call('XDEL', key, id) end
    return true
  end
  local fields = cmsgpack.unpack(packed)
  if ty == 'none' then
    redis.call('XADD', key, id, unpack(fields))
    return true
  end
  local have = redis.call('XRANGE', key, id, id)
  if #have > 0 and cmsgpack.pack(have[1][2]) == packed then return true end
  local info = stream_info(db, key)
  local last = info['last-generated-id']
  if #have == 0 and id_cmp(id, last) > 0 then
    redis.call('XADD', key, id, unpack(fields))
    return true
  end
  -- the same ID with other fields (explicit IDs on two nodes): the winning write's replace them
  local from = '(' .. id
  if #have > 0 then from = id end
  local after = redis.call('XRANGE', key, from, '+')
  local ids = {}
  for i, e in ipairs(after) do ids[i] = e[1] end
  if #ids > 0 then redis.call('XDEL', key, unpack(ids)) end
  local prev = redis.call('XREVRANGE', key, '(' .. id, '-', 'COUNT', 1)
  redis.call('XSETID', key, prev[1] and prev[1][1] or '0-0')
  redis.call('XADD', key, id, unpack(fields))
  for _, e in ipairs(after) do
    if e[1] ~= id then redis.call('XADD', key, e[1], unpack(e[2])) end
  end
  local added = info['entries-added']
  if #have == 0 then added = added + 1 end
  redis.call('XSETID', key, last, 'ENTRIESADDED', string.format('%d', added),
    'MAXDELETEDID', info['max-deleted-entry-id'])
  return true
end

-- merges a received XADD of entry id (fields packed): the entry by its register, and the stream
-- key exists wherever an XADD lands, also when its entry is deleted or trimmed there already (as on
-- its node, where XDEL and XTRIM leave an empty stream), unless a later whole-key write, delete or
-- flush of the key superseded it
-- (field "xc" of the metadata: the newest XADD's stamp, which a delete or flush must be later than
-- to leave no stream behind)
local function empty_stream(db, key)
  sel(db)
  if redis.call('TYPE', key)['ok'] == 'none' then
    redis.call('XGROUP', 'CREATE', key, 'keymesh', '$', 'MKSTREAM')
    redis.call('XGROUP', 'DESTROY', key, 'keymesh')
  end
end

local function note_created(m, t)
  meta_to_hash(m)
  sel(m.mdb)
  local xc = redis.call('HGET', m.key, 'xc')
  if not xc or t > xc then redis.call('HSET', m.key, 'xc', t) end
end

STREAM.merge_add = function(ctx, db, key, id, packed)
  merge_member(ctx, db, key, 'stream', id, packed, false)
  if ctx.t <= epoch_of(ctx, db) then return end
  local m = meta_load(ctx.N + db, key)
  if (m.t and ctx.t <= m.t) or (m.d and ctx.t <= m.d) then return end
  note_created(m, ctx.t)
  empty_stream(db, key)
end

-- after a delete at t (a DEL, or a flush, received): an XADD later than it leaves the stream
STREAM.keep_created = function(m, db, key, t)
  if m.kind ~= 'h' then return end
  sel(m.mdb)
  local xc = redis.call('HGET', key, 'xc')
  if xc and xc > t then empty_stream(db, key) end
end

-- entry registers below floor go: their entries are gone for good (ids: candidates, any order)
local function drop_registers(m, ids, floor)
  if m.kind ~= 'h' then return end
  local gone = {}
  for _, id in ipairs(ids) do
    if id_cmp(id, floor) < 0 then
      gone[#gone + 1] = 'f' .. id
      gone[#gone + 1] = 'p' .. id
    end
  end
  sel(m.mdb)
  for i = 1, #gone, 1000 do
    redis.call('HDEL', m.key, unpack(gone, i, math.min(i + 999, #gone)))
  end
end

-- the IDs of the entries of a stream below floor
local function ids_below(db, key, floor)
  sel(db)
  local r = redis.pcall('XRANGE', key, '-', '(' .. floor)
  local ids = {}
  if type(r) ~= 'table' or r.err then return ids end
  for i, e in ipairs(r) do ids[i] = e[1] end
  return ids
end

--[[
Entries a receiver put in between (STREAM.put) leave the IDs of the entries it took out and added
back behind it in the stream's node, flagged deleted, and XTRIM MINID stops at the first ID not
below its threshold, deleted or not: so a floor is applied with XDEL of the IDs below it (XRANGE
skips deleted entries), which frees each node whose entries are all deleted as XTRIM would.
]]
local function xdel_all(db, key, ids)
  sel(db)
  for i = 1, #ids, 1000 do
    redis.call('XDEL', key, unpack(ids, i, math.min(i + 999, #ids)))
  end
end

-- drops the entries of the stream key below its floor (from metadata m), when it has one
STREAM.keep_floor = function(N, db, key, m)
  local floor = floor_of(N, db, key)
  if floor == nil then return end
  local ids = ids_below(db, key, floor)
  if #ids == 0 then return end
  drop_registers(m, ids, floor)
  xdel_all(db, key, ids)
end

--[[
Merges trim floor `floor` of stamp ctx.t into the stream key: the floor only grows (the larger of
all trims, whatever their stamps), so every order of arrival drops the same entries. A remote one
also trims the data (XTRIM MINID, exact: an approximate trim's floor is exact here). A trim older
than the db's flush epoch is gone with the flush.
]]
local function merge_floor(ctx, db, key, floor, local_write)
  local cur = floor_of(ctx.N, db, key)
  if cur and id_cmp(floor, cur) <= 0 then return end
  sel(2 * ctx.N)
  redis.call('HSET', 'km:xfloor', floor_field(db, key), floor)
  if not local_write then
    sel(db)
    if redis.call('TYPE', key)['ok'] == 'stream' then STREAM.keep_floor(ctx.N, db, key, meta_load(ctx.N + db, key)) end
  end
end

STREAM.floor_of = floor_of

-- km_gc: the floor of a key whose metadata went for good
STREAM.forget_floor = function(N, db, key)
  sel(2 * N)
  redis.call('HDEL', 'km:xfloor', floor_field(db, key))
end

-- a snapshot's stream facts (km_mergekey, after the key's state and before its entries): its trim
-- floor, which only grows, and its newest XADD, which keeps the stream where no later delete is
STREAM.merge_snapshot = function(ctx, db, key, floor, xc)
  if floor ~= '' then
    merge_floor(ctx, db, key, floor, false)
    sel(db)
    if redis.call('TYPE', key)['ok'] == 'stream' then STREAM.keep_floor(ctx.N, db, key, meta_load(ctx.N + db, key)) end
  end
  if xc ~= '' and xc > epoch_of(ctx, db) then
    local m = meta_load(ctx.N + db, key)
    if not ((m.t and xc <= m.t) or (m.d and xc <= m.d)) then
      note_created(m, xc)
      empty_stream(db, key)
    end
  end
end

-- the stream ID of a '*' (or '<ms>-*') XADD: never the same on two nodes, since its sequence is
-- k * 2^32 + the origin's 32-bit number, k counting up within one millisecond; ms is the stamp's
-- wall-clock ms, or the stream's last ms when that is later (or <ms> as given). nil: let Redis
-- decide (and answer its own error), for '<ms>-*' below the stream's last ms or IDs past 2^53.
local ORIGIN_NUM = {}
local function origin_num(origin)
  local h = ORIGIN_NUM[origin]
  if h == nil then
    h = 0
    for i = 1, #origin do h = (h * 31 + string.byte(origin, i)) % 4294967296 end
    ORIGIN_NUM[origin] = h
  end
  return h
end

local K_MAX = 2097152   -- 2^21: k * 2^32 + 2^32 stays below 2^53
local function auto_id(stamp, origin, given, last, floor)
  local ms
  if given == '*' then
    ms = tonumber(string.sub(stamp, 1, 12), 16) or 0
  else
    ms = tonumber(string.match(given, '^(%d+)%-%*$') or '')
    if ms == nil or #string.match(given, '^(%d+)') > 15 then return nil end
  end
  local k = 0
  for _, bound in ipairs({ last, floor }) do
    local bms, bseq = id_parts(bound)
    if bound == '0-0' then bms, bseq = '0', '' end
    if #bms > 15 or #bseq > 15 then return nil end
    bms, bseq = tonumber(bms), tonumber(bseq)
    if bseq == nil then bms = -1 end
    if given ~= '*' and bms > ms then return nil end
    if bms > ms then
      ms, k = bms, 0
    end
    if bms == ms then
      local bk = math.floor(bseq / 4294967296) + 1
      if bk > k then k = bk end
    end
  end
  if k >= K_MAX then
    if given ~= '*' then return nil end
    ms, k = ms + 1, 0
  end
  -- 0-0 is no ID
  if ms == 0 and k == 0 and origin_num(origin) == 0 then k = 1 end
  return string.format('%.0f-%.0f', ms, k * 4294967296 + origin_num(origin))
end

-- where a trim option (MAXLEN|MINID [=|~] threshold [LIMIT n]) of XADD or XTRIM starts at index i
-- of a: the strategy, threshold and the index after it
local function trim_opt(a, i)
  local strategy = string.lower(a[i] or '')
  if strategy ~= 'maxlen' and strategy ~= 'minid' then return nil end
  local j = i + 1
  local approx = a[j] == '~'
  if a[j] == '=' or a[j] == '~' then j = j + 1 end
  local thr = a[j]
  j = j + 1
  if a[j] and string.lower(a[j]) == 'limit' then j = j + 2 end
  return strategy, thr, j, approx
end

-- the IDs a trim may remove, read before it runs (their registers go with them)
local function trim_candidates(db, key, strategy, thr, adding)
  sel(db)
  if strategy == 'maxlen' then
    local n = tonumber(thr)
    local len = redis.pcall('XLEN', key)
    if n == nil or type(len) ~= 'number' then return {} end
    local c = len + adding - n
    if c <= 0 then return {} end
    local r = redis.call('XRANGE', key, '-', '+', 'COUNT', string.format('%d', c))
    local ids = {}
    for i, e in ipairs(r) do ids[i] = e[1] end
    return ids
  end
  if thr == nil or id_canon(thr) == nil then return {} end
  return ids_below(db, key, id_canon(thr))
end

-- after a trim removed some entries: the floor (the first ID left, or past the last ID when none
-- is), merged here and logged
local function record_trim(ctx, en, db, key, candidates)
  sel(db)
  local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)
  local floor
  if first[1] then
    floor = first[1][1]
  else
    floor = id_succ(stream_info(db, key)['last-generated-id'])
  end
  local m = meta_load(ctx.N + db, key)
  drop_registers(m, candidates, floor)
  merge_floor(ctx, db, key, floor, true)
  entry_op(en, 'xt', floor)
end

-- a stamp past the key's newest key-level stamp (a write is later than what it overwrites)
local function stream_stamp(ctx, db, key)
  local newest = max_stamp(meta_load(ctx.N + db, key))
  if newest >= ctx.t then ctx.t = newest .. '0' end
end

local STREAM_CMDS = {}

-- XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] <* | ms-* | id> field value ...
STREAM_CMDS.xadd = function(ctx, proto, db, name, a, txn)
  local key = a[1]
  local i = 2
  local strategy, thr, approx
  while a[i] do
    local o = string.lower(a[i])
    if o == 'nomkstream' then
      i = i + 1
    else
      local s, t, j, x = trim_opt(a, i)
      if s == nil then break end
      strategy, thr, i, approx = s, t, j, x
    end
  end
  local given = a[i]
  local existed = exists(db, key)
  local info = existed and stream_info(db, key) or nil
  local floor = floor_of(ctx.N, db, key)
  local args = { unpack(a) }
  if given ~= nil and (given == '*' or string.find(given, '^%d+%-%*$')) then
    local id = auto_id(ctx.t, ctx.origin, given, info and info['last-generated-id'] or '0-0', floor or '0-0')
    if id then args[i] = id end
  elseif given ~= nil and floor and id_canon(given) and id_cmp(given, floor) < 0 then
    return { err = 'ERR keymesh: the ID specified in XADD is below the stream\'s trim floor ' .. floor
      .. ' (entries below it were trimmed on some node)' }
  end
  local candidates = {}
  if strategy and key then candidates = trim_candidates(db, key, strategy, thr, 1) end
  sel(db)
  redis.setresp(proto)
  local r = redis.pcall(name, unpack(args))
  redis.setresp(2)
  if type(r) == 'table' and r.err then return arity_fix(r, 'xadd') end
  if r == false or r == nil then return r end     -- NOMKSTREAM on a missing key
  stream_stamp(ctx, db, key)
  local en = entry_new(ctx.t, txn, db)
  entry_key(en, db, key)
  local packed = cmsgpack.pack({ unpack(args, i + 1) })
  merge_member(ctx, db, key, 'stream', r, packed, true)
  note_created(meta_load(ctx.N + db, key), ctx.t)
  entry_op(en, 'xa', r)
  entry_op(en, 'xv', packed)
  if not existed then
    merge_key(ctx, { db = db, key = key, kind = 'e', e = 0 }, true)
    entry_op(en, 'e', '0')
  end
  if strategy == 'minid' and not approx and id_canon(thr or '') then
    -- an exact MINID is exact here too (see xdel_all)
    xdel_all(db, key, ids_below(db, key, id_canon(thr)))
  end
  if strategy then
    sel(db)
    if redis.call('XLEN', key) < (info and info.length or 0) + 1 then
      candidates[#candidates + 1] = r
      record_trim(ctx, en, db, key, candidates)
    end
  end
  log_append(ctx.N, ctx.origin, en)
  return r
end

-- XDEL key id ...: each ID's tombstone is logged, also of an entry not (yet) here, so that it does
-- not come back when it arrives from its node
STREAM_CMDS.xdel = function(ctx, proto, db, name, a, txn)
  sel(db)
  redis.setresp(proto)
  local r = redis.pcall(name, unpack(a))
  redis.setresp(2)
  if type(r) == 'table' and r.err then return arity_fix(r, 'xdel') end
  if not exists(db, a[1]) and r == 0 then return r end
  stream_stamp(ctx, db, a[1])
  local en = entry_new(ctx.t, txn, db)
  entry_key(en, db, a[1])
  local seen = {}
  for j = 2, #a do
    local id = id_canon(a[j])
    if id and not seen[id] then
      seen[id] = true
      merge_member(ctx, db, a[1], 'stream', id, nil, true)
      entry_op(en, 'xd', id)
    end
  end
  log_append(ctx.N, ctx.origin, en)
  return r
end

-- XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
STREAM_CMDS.xtrim = function(ctx, proto, db, name, a, txn)
  local strategy, thr = trim_opt(a, 2)
  local candidates = {}
  if strategy and a[1] then candidates = trim_candidates(db, a[1], strategy, thr, 0) end
  sel(db)
  redis.setresp(proto)
  local r = redis.pcall(name, unpack(a))
  redis.setresp(2)
  if type(r) == 'table' and r.err then return arity_fix(r, 'xtrim') end
  if strategy == 'minid' and id_canon(thr or '') and a[2] and a[3] ~= '~' then
    -- an exact MINID is exact here too (see xdel_all)
    local left = ids_below(db, a[1], id_canon(thr))
    xdel_all(db, a[1], left)
    if type(r) == 'number' then r = r + #left end
  end
  if r == 0 then return r end
  stream_stamp(ctx, db, a[1])
  local en = entry_new(ctx.t, txn, db)
  entry_key(en, db, a[1])
  record_trim(ctx, en, db, a[1], candidates)
  log_append(ctx.N, ctx.origin, en)
  return r
end

STREAM.cmds = STREAM_CMDS
STREAM.merge_floor = merge_floor
