#!lua name=keymesh
-- keymesh apply library, part 1 of 5: metadata, stamps, merge of one key.
-- Contracts: docs/design/replication.md ("Contracts between the parts"); semantics: docs/design/merge.md.
--
-- Databases: user db i, its metadata in db N+i under the same key name, log and node state in db 2N.
-- Key-level metadata is one string "t|e|et|d|k" (trailing empty parts dropped, so a plain SET
-- costs one short string):
--   t  stamp of the key's register (whole-key state)         e  absolute expiry in ms, 0 = none
--   et stamp of the expiry register (empty = same as t)       d  delete tombstone stamp
--   k  counter vector "origin stamp total seen ..." (per-origin running totals of increments and
--      the part of each total the register state already includes)
--   x  a list's removed element ids, ",id,id,...," (a removal that arrived before its push)
--   l  the newest stamp of a push onto the key (a list): a state of another type not later than it
--      is superseded by the push
--   c  a list's coverage "origin seq ...": the positions of the snapshots merged into it, whose
--      pushes up to there it reflects (a later replay of one of them changes nothing)
-- A stamp is compared as a string only (HLC hex + node id); Lua never does arithmetic on it.

local KM_VERSION = '@VERSION@'

local cur_db = -1
-- db numbers as SELECT's argument (a Lua number would be formatted on every call)
local DB_ARG = {}
local function sel(db)
  if cur_db ~= db then
    local arg = DB_ARG[db]
    if arg == nil then
      arg = string.format('%d', db)
      DB_ARG[db] = arg
    end
    redis.call('SELECT', arg)
    cur_db = db
  end
end

local function reset_db()
  cur_db = -1
end

local function num(x)
  if x == math.floor(x) and math.abs(x) < 1e15 then
    return string.format('%d', x)
  end
  return string.format('%.17g', x)
end

local function nz(s)
  if s == nil or s == '' then return nil end
  return s
end

-- A counter vector holds one running total per origin and flush epoch: keyed by the origin alone
-- before its db's first flush, else "<origin>@<epoch>", the epoch (the db's last flush stamp) its
-- origin had applied when it counted. A flush at F wipes every total counted from an epoch before
-- F, whatever its stamp: an increment made before its node applied the flush is gone with it, on
-- every node, and its node's later increments start a new total from F.
local function total_key(origin, epoch)
  if epoch == nil or epoch == '' then return origin end
  return origin .. '@' .. epoch
end

-- the flush epoch a total of a vector counts from ('' for none)
local function total_epoch(k)
  return string.match(k, '@(.*)$') or ''
end

-- (one pattern match per origin: splitting into words first cost twice as much, on every counter
-- write and every received increment)
local function parse_vec(k)
  local cv = {}
  if k == nil or k == '' then return cv end
  for o, st, tot, seen in string.gmatch(k, '(%S+) (%S+) (%S+) (%S+)') do
    cv[o] = { st = st, tot = tonumber(tot), seen = tonumber(seen) }
  end
  return cv
end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

local function vec_str(cv)
  -- one origin (the common case) needs no sorting
  local o1 = next(cv)
  if o1 == nil then return '' end
  if next(cv, o1) == nil then
    local c = cv[o1]
    return o1 .. ' ' .. c.st .. ' ' .. num(c.tot) .. ' ' .. num(c.seen)
  end
  local out = {}
  for _, o in ipairs(sorted_keys(cv)) do
    local c = cv[o]
    out[#out + 1] = o .. ' ' .. c.st .. ' ' .. num(c.tot) .. ' ' .. num(c.seen)
  end
  return table.concat(out, ' ')
end

-- the vector a write carries: each origin's stamp and total the writer has seen
local function seen_str(cv)
  local out = {}
  for _, o in ipairs(sorted_keys(cv)) do
    local c = cv[o]
    out[#out + 1] = o .. ' ' .. c.st .. ' ' .. num(c.tot)
  end
  return table.concat(out, ' ')
end

local function parse_seen(s)
  local v = {}
  local w = {}
  for p in string.gmatch(s, '%S+') do w[#w + 1] = p end
  for i = 1, #w, 3 do
    v[w[i]] = { st = w[i + 1], tot = tonumber(w[i + 2]) }
  end
  return v
end

-- a key whose metadata is just its register stamp stores the stamp packed (two hex digits per
-- byte): its first byte is below 0x20 (the top byte of a 64-bit HLC for centuries), which no
-- text form starts with. Packed stamps of even length sort as their text does, so they compare
-- without unpacking.
-- each two-digit lower-case hex pair -> its byte: one gsub in C packs a whole stamp (a Lua loop
-- over its digits cost 3-4 times as much, on every local write and every received entry). Built on
-- first use: the string library is not reachable while the library loads.
local HEX_PAIR = nil
-- t: an even number of lower-case hex digits (packed_form checks)
local function pack_stamp(t)
  if HEX_PAIR == nil then
    HEX_PAIR = {}
    for i = 0, 255 do HEX_PAIR[string.format('%02x', i)] = string.char(i) end
  end
  return (string.gsub(t, '..', HEX_PAIR))
end

local function unpack_stamp(b)
  return string.format(string.rep('%02x', #b), string.byte(b, 1, -1))
end

-- the packed form of a stamp, or nil when it has none (odd length after a tie-break suffix)
local function packed_form(t)
  if #t % 2 == 0 and string.find(t, '^0[01][0-9a-f]*$') then return pack_stamp(t) end
  return nil
end

-- how a metadata string that is nothing but a register stamp is stored
local function stamp_form(t)
  return packed_form(t) or t
end

-- whether a metadata value as GET returns it is nothing but a register stamp (packed or text), or
-- absent (false); not when it holds more (expiry, tombstone, counters) or is a hash (member metadata)
local function bare_stamp(v)
  if v == false then return true end
  if type(v) ~= 'string' or v == '' then return false end
  return string.byte(v, 1) < 32 or not string.find(v, '|', 1, true)
end

-- the text of a stored bare register stamp
local function stored_stamp(v)
  if string.byte(v, 1) < 32 then return unpack_stamp(v) end
  return v
end

-- whether stamp t (p: its packed form, or nil) is later than a stored bare register stamp
local function later_than_stored(t, p, stored)
  if string.byte(stored, 1) < 32 then
    if p then return p > stored end
    return t > unpack_stamp(stored)
  end
  return t > stored
end

local function parse_meta(s)
  if string.byte(s, 1) ~= nil and string.byte(s, 1) < 32 then
    return { t = unpack_stamp(s), e = 0, cv = {} }
  end
  -- up to five parts (any key's but a list's), in one match; a string of six or more goes to the
  -- loop below first, or the match would try every split of its parts before it failed
  local t, e, et, d, k
  if not string.find(s, '^[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|') then
    t, e, et, d, k = string.match(s, '^([^|]*)|?([^|]*)|?([^|]*)|?([^|]*)|?([^|]*)$')
  end
  if t ~= nil then
    return { t = nz(t), e = tonumber(e) or 0, et = nz(et), d = nz(d), cv = parse_vec(k) }
  end
  local p, at, n = {}, 1, 0
  while true do
    local j = string.find(s, '|', at, true)
    n = n + 1
    if j == nil then
      p[n] = string.sub(s, at)
      break
    end
    p[n] = string.sub(s, at, j - 1)
    at = j + 1
  end
  return {
    t = nz(p[1]), e = tonumber(p[2] or '') or 0, et = nz(p[3]), d = nz(p[4]),
    cv = parse_vec(p[5]), x = nz(p[6]), lt = nz(p[7]), cov = nz(p[8]),
  }
end

-- bare: stored as a string of its own (not a hash's field), where a register stamp alone is packed
local function meta_str(m, bare)
  local et = m.et
  if et == m.t then et = nil end
  local e = ''
  if m.e ~= 0 then e = num(m.e) end
  local k = vec_str(m.cv)
  if m.x == nil and m.lt == nil and m.cov == nil then
    -- up to five parts, trailing empty ones dropped, in one concatenation
    local t = m.t or ''
    if k ~= '' then return t .. '|' .. e .. '|' .. (et or '') .. '|' .. (m.d or '') .. '|' .. k end
    if m.d then return t .. '|' .. e .. '|' .. (et or '') .. '|' .. m.d end
    if et then return t .. '|' .. e .. '|' .. et end
    if e ~= '' then return t .. '|' .. e end
    if bare and m.t then return stamp_form(t) end
    return t
  end
  local p = { m.t or '', e, et or '', m.d or '', k, m.x or '', m.lt or '', m.cov or '' }
  local n = #p
  while n > 1 and p[n] == '' do n = n - 1 end
  return table.concat(p, '|', 1, n)
end

-- loads the metadata of key in meta db mdb; kind: n = none, s = string, h = hash (per-member data),
-- l = list (element 0 the key-level string, then one id per element of the data list, in its order)
local function meta_load(mdb, key)
  sel(mdb)
  local v = redis.pcall('GET', key)
  local m
  if type(v) == 'string' then
    m = parse_meta(v)
    m.kind = 's'
  elseif v == false or v == nil then
    m = parse_meta('')
    m.kind = 'n'
  else
    local h = redis.pcall('HGET', key, '')
    if type(h) == 'table' then
      m = parse_meta(redis.call('LINDEX', key, 0) or '')
      m.kind = 'l'
    else
      m = parse_meta(h or '')
      m.kind = 'h'
    end
  end
  m.key = key
  m.mdb = mdb
  return m
end

-- the metadata's TTL once written (m.mdb selected): it expires with its key (same absolute time)
-- unless a tombstone keeps it; a string written anew has none already
local function meta_ttl(m, exists)
  if exists and m.e > 0 and m.d == nil then
    redis.call('PEXPIREAT', m.key, num(m.e))
  elseif m.kind == 'h' or m.kind == 'l' then
    redis.call('PERSIST', m.key)
  end
end

-- saves the metadata, with its TTL (meta_ttl)
local function meta_save(m, exists)
  sel(m.mdb)
  local s = meta_str(m, m.kind ~= 'h')
  if m.kind == 'h' then
    redis.call('HSET', m.key, '', s)
  elseif m.kind == 'l' then
    redis.call('LSET', m.key, 0, s)
  else
    redis.call('SET', m.key, s)
  end
  meta_ttl(m, exists)
end

local function et_of(m)
  return m.et or m.t
end

-- the expiry register takes e (ms, 0 = none) at stamp t when t is later than its own stamp (a local
-- write's always)
local function merge_expiry(m, e, t, local_write)
  local old_et = et_of(m)
  if local_write or old_et == nil or t > old_et then
    m.e = e
    m.et = t
  end
end

-- stamp of the key's last whole-key change: its register state or its delete, whichever is later
local function last_whole(m)
  if m.d and (m.t == nil or m.d > m.t) then return m.d end
  return m.t
end

local function max_stamp(m)
  local s = m.t or ''
  if m.d and m.d > s then s = m.d end
  if m.et and m.et > s then s = m.et end
  if m.lt and m.lt > s then s = m.lt end
  for _, c in pairs(m.cv) do
    if c.st > s then s = c.st end
  end
  return s
end

-- max_stamp, and for a hash, set or sorted set merged per member also every member's register and
-- counter stamps: what a whole-key write must be later than, since receivers keep the members
-- written later than it
local function newest_stamp(m)
  local s = max_stamp(m)
  -- (a list's elements are not later than its register or its newest push, m.lt)
  if m.kind ~= 'h' then return s end
  sel(m.mdb)
  local all = redis.call('HGETALL', m.key)
  for i = 1, #all, 2 do
    local tag, v = string.sub(all[i], 1, 1), all[i + 1]
    if tag == 'f' then
      if string.sub(v, 2) > s then s = string.sub(v, 2) end
    elseif tag == 'c' then
      for _, c in pairs(parse_vec(string.sub(v, 3))) do
        if c.st > s then s = c.st end
      end
    elseif all[i] == 'xm' then
      -- a stream's trim floors (stream.lua): "<id> <stamp> ..."
      for st in string.gmatch(v, '%S+ (%S+)') do
        if st > s then s = st end
      end
    elseif all[i] == 'xc' and v > s then
      -- a stream's newest XADD (stream.lua)
      s = v
    elseif tag == 'x' and (string.sub(all[i], 2, 2) == 'g' or string.sub(all[i], 2, 2) == 'q') then
      -- a consumer group's or a pending entry's register (stream.lua)
      local st = string.match(v, '^[+-](%S+)')
      if st and st > s then s = st end
    end
  end
  return s
end

-- sum over origins of (total - seen): what increments add on top of the register state
local function sigma(m)
  local s = 0
  for _, c in pairs(m.cv) do s = s + (c.tot - c.seen) end
  return s
end

-- drops the totals of cv that a flush at t wipes: those counted from an epoch before t
local function drop_flushed(cv, t)
  for o in pairs(cv) do
    if total_epoch(o) < t then cv[o] = nil end
  end
end

-- merges a carried vector into the key's totals: per origin the later stamp wins; totals counted
-- from before the db's flush epoch are gone
local function merge_vec(m, v, epoch)
  for o, c in pairs(v) do
    local mine = m.cv[o]
    if epoch and total_epoch(o) < epoch then
      -- flushed away
    elseif mine == nil then
      m.cv[o] = { st = c.st, tot = c.tot, seen = 0 }
    elseif c.st > mine.st then
      mine.st = c.st
      mine.tot = c.tot
    end
  end
end

-- the register state that won now includes exactly the totals its writer had seen
local function set_seen(m, v)
  for o, c in pairs(m.cv) do
    local s = v[o]
    if s then c.seen = s.tot else c.seen = 0 end
  end
end

-- whether a string is a number in the form INCRBY/INCRBYFLOAT write it (no leading zeros, no
-- trailing fraction zeros, no exponent): only such values take increments on top, so the result
-- does not depend on the order increments arrive in
local function canonical_number(v)
  if type(v) ~= 'string' then return false end
  return v == '0' or string.find(v, '^%-?[1-9]%d*$') ~= nil or string.find(v, '^%-?[1-9]%d*%.%d*[1-9]$') ~= nil
    or string.find(v, '^%-?0%.%d*[1-9]$') ~= nil
end

-- what the runs of writes use, on the origin (write.lua: km_wr) and on receivers (remote.lua: km_r),
-- in one table: the library's main chunk is at Lua's limit of 200 local variables
local RUN = {}

-- a value Lua adds to exactly, as INCRBY would: a canonical integer of at most 15 digits (and a
-- sign), or absent (false); INCRBY's own argument is one of these too when it is given so
function RUN.small_integer(v)
  return v == false or (#v <= 16 and (v == '0' or string.find(v, '^%-?[1-9]%d*$') ~= nil)
    and (#v <= 15 or string.byte(v, 1) == 45))
end

-- adds a counter delta to the data key (absent counts as 0; any other value is left alone)
local function add_value(db, key, delta)
  if delta == 0 then return end
  sel(db)
  local cur = redis.pcall('GET', key)
  if cur ~= false and not canonical_number(cur) then return end
  local r
  if delta == math.floor(delta) and math.abs(delta) < 1e15 then
    r = redis.pcall('INCRBY', key, num(delta))
    if type(r) == 'number' then return end
  end
  redis.pcall('INCRBYFLOAT', key, num(delta))
end

-- with no value under it (never SET, or deleted later than SET), a counter key holds the sum of
-- its increments, and exists iff some increment is newer than that delete or was not seen by it
local function counter_exists(m)
  local base = m.t or ''
  if m.d and m.d > base then base = m.d end
  for _, c in pairs(m.cv) do
    if c.st > base or c.tot ~= c.seen then return true end
  end
  return false
end

local function fix_counter(db, key, m, fix)
  local base_absent = (m.t == nil) or (m.d ~= nil and m.d > m.t)
  sel(db)
  local ty = redis.call('TYPE', key)['ok']
  if base_absent and (ty == 'none' or ty == 'string') then
    if counter_exists(m) then
      local v = sigma(m)
      if v == math.floor(v) and math.abs(v) < 1e15 then
        redis.call('SET', key, num(v))
      else
        redis.call('SET', key, '0')
        redis.call('INCRBYFLOAT', key, num(v))
      end
    elseif ty ~= 'none' then
      redis.call('DEL', key)
    end
  elseif fix ~= 0 then
    add_value(db, key, fix)
  end
end

-- the values of keys in db dbi by one MGET (false for an absent key), or nil when one of them
-- holds something other than a string (MGET answers nil for those too)
function RUN.strings_of(dbi, keys)
  sel(dbi)
  local v = redis.call('MGET', unpack(keys))
  local absent = {}
  for i, k in ipairs(keys) do
    if v[i] == false then absent[#absent + 1] = k end
  end
  if #absent > 0 and redis.call('EXISTS', unpack(absent)) > 0 then return nil end
  return v
end

local function exists(db, key)
  sel(db)
  return redis.call('EXISTS', key) == 1
end

-- a present key's expiry always equals its expiry register, whatever order ops arrived in
local function enforce_ttl(db, key, m)
  sel(db)
  local cur = redis.call('PEXPIRETIME', key)
  if cur == -2 then return false end
  if m.e > 0 then
    if cur ~= m.e then redis.call('PEXPIREAT', key, num(m.e)) end
  elseif cur >= 0 then
    redis.call('PERSIST', key)
  end
  return true
end

-- db flush epochs live in db 2N, hash km:epoch (db -> stamp)
local function epoch_of(ctx, db)
  ctx.epochs = ctx.epochs or {}
  local ep = ctx.epochs[db]
  if ep == nil then
    sel(2 * ctx.N)
    ep = redis.call('HGET', 'km:epoch', tostring(db)) or ''
    ctx.epochs[db] = ep
  end
  return ep
end

-- the vector key an increment's total of ctx.origin goes under: a local write's counts from the
-- db's current epoch, a received one's from epoch q; nil when q is before the db's epoch (the
-- total is flushed away)
local function counting_key(ctx, db, q, local_write)
  if local_write then return total_key(ctx.origin, epoch_of(ctx, db)) end
  local k = total_key(ctx.origin, q)
  if total_epoch(k) < epoch_of(ctx, db) then return nil end
  return k
end

-- per-member metadata of a hash, set or sorted set: meta hash field "f"..member = "+"..stamp
-- (present) or "-"..stamp (removed); "p"..member = a present member's parked value (below)
local function meta_to_hash(m)
  if m.kind ~= 'h' then
    sel(m.mdb)
    if m.kind == 's' or m.kind == 'l' then redis.call('DEL', m.key) end
    m.kind = 'h'
  end
end

local function field_meta(m, field)
  if m.kind ~= 'h' then return nil, nil end
  sel(m.mdb)
  local v = redis.call('HGET', m.key, 'f' .. field)
  if not v then return nil, nil end
  return string.sub(v, 1, 1), string.sub(v, 2)
end

local function set_field_meta(m, field, flag, stamp)
  meta_to_hash(m)
  sel(m.mdb)
  redis.call('HSET', m.key, 'f' .. field, flag .. stamp)
end

local function wrong_type(r)
  return type(r) == 'table' and r.err ~= nil and string.find(r.err, 'WRONGTYPE', 1, true) == 1
end

-- streams merged per entry (stream.lua fills it): an entry is a member of its key, named by its ID,
-- its value the entry's fields packed (msgpack). get(db, key, id) -> packed fields, nil when absent,
-- and true as a second result when the key holds another type; put(db, key, id, packed or nil) ->
-- false when the key holds another type; below_floor(m, id, stamp): dropped by a trim
local STREAM = {}

-- the value of a member in the data: hash field value, '' for a set member, zset score; nil if
-- absent (then true as a second result when the key holds another type)
local function member_value(db, key, ty, member)
  sel(db)
  local v
  if ty == 'stream' then
    return STREAM.get(db, key, member)
  elseif ty == 'hash' then
    v = redis.pcall('HGET', key, member)
    if type(v) == 'string' then return v end
  elseif ty == 'set' then
    v = redis.pcall('SISMEMBER', key, member)
    if v == 1 then return '' end
  elseif ty == 'zset' then
    v = redis.pcall('ZSCORE', key, member)
    if type(v) == 'string' then return v end
  end
  return nil, wrong_type(v)
end

-- sets (value ~= nil) or removes one member; typ 'hash', 'set' or 'zset' (nil: whatever the key
-- is). Returns false when the key holds another type, so the member could not be written.
local function write_member(db, key, typ, member, value)
  sel(db)
  if typ == nil then typ = redis.call('TYPE', key)['ok'] end
  local r
  if typ == 'stream' then
    return STREAM.put(db, key, member, value)
  elseif typ == 'hash' then
    if value then r = redis.pcall('HSET', key, member, value)
    else r = redis.pcall('HDEL', key, member) end
  elseif typ == 'set' then
    if value then r = redis.pcall('SADD', key, member)
    else r = redis.pcall('SREM', key, member) end
  elseif typ == 'zset' then
    if value then r = redis.pcall('ZADD', key, value, member)
    else r = redis.pcall('ZREM', key, member) end
  end
  return not wrong_type(r)
end

--[[
A member written later than the key's whole-key state but of another type (ZADD on one node while
an earlier SET ran on another) cannot live in the key while that state does: the state keeps the
key, and the member's value waits in the metadata, field "p"..member = type letter (h, s, z) ..
value, until a later delete or a whole-key state of the member's type brings it back
(later_fields/reapply_fields). Where the state arrives after the member the data held the only
copy of the value, which the state replaces; kept here, every order of arrival ends the same.
A counted member's increments are added where its value is (add_member). Only a present member's
register has a parked value: a removal leaves none, and its counters rebuild it (settle_member).
]]
local PARK_LETTER = { hash = 'h', set = 's', zset = 'z', stream = 'x' }
local PARK_TYPE = { h = 'hash', s = 'set', z = 'zset', x = 'stream' }

local function park(m, member, typ, value)
  meta_to_hash(m)
  sel(m.mdb)
  redis.call('HSET', m.key, 'p' .. member, PARK_LETTER[typ] .. value)
end

local function unpark(m, member)
  if m.kind ~= 'h' then return end
  sel(m.mdb)
  redis.call('HDEL', m.key, 'p' .. member)
end

-- a parked member's value if it is of type typ
local function parked_value(m, member, typ)
  if m.kind ~= 'h' then return nil end
  sel(m.mdb)
  local p = redis.call('HGET', m.key, 'p' .. member)
  if p and PARK_TYPE[string.sub(p, 1, 1)] == typ then return string.sub(p, 2) end
  return nil
end

-- writes a present member's value into the data, or parks it while the key holds another type
local function put_member(m, db, key, typ, member, value)
  if not write_member(db, key, typ, member, value) and value ~= nil and typ ~= nil then
    park(m, member, typ, value)
  end
end

-- per-member counters (HINCRBY, HINCRBYFLOAT, ZINCRBY): meta hash field "c"..member holds the
-- member's type letter (h or z) and its counter vector "origin stamp total seen ...", the same
-- design as a key's counter; the member's value = its register value + sum(total - seen)
local function member_cv(m, member)
  if m.kind ~= 'h' then return {}, nil end
  sel(m.mdb)
  local v = redis.call('HGET', m.key, 'c' .. member)
  if not v then return {}, nil end
  local ty = 'hash'
  if string.sub(v, 1, 1) == 'z' then ty = 'zset' end
  return parse_vec(string.sub(v, 3)), ty
end

local function set_member_cv(m, member, ty, cv)
  meta_to_hash(m)
  sel(m.mdb)
  if next(cv) == nil then
    redis.call('HDEL', m.key, 'c' .. member)
  else
    redis.call('HSET', m.key, 'c' .. member, (ty == 'zset' and 'z ' or 'h ') .. vec_str(cv))
  end
end

local function cv_sum(cv)
  return sigma({ cv = cv })
end

-- writes a number as a member's value, formatted the way HINCRBY/HINCRBYFLOAT/ZADD would
local function write_member_num(db, key, ty, member, v)
  sel(db)
  if ty == 'hash' then
    if v == math.floor(v) and math.abs(v) < 1e15 then
      redis.pcall('HSET', key, member, num(v))
    else
      redis.pcall('HSET', key, member, '0')
      redis.pcall('HINCRBYFLOAT', key, member, num(v))
    end
  elseif ty == 'zset' then
    redis.pcall('ZADD', key, num(v), member)
  end
end

-- adds a counter delta to a present member's number (any other value is left alone); a parked
-- number takes it where it waits
local function add_member(m, db, key, ty, member, delta)
  if delta == 0 then return end
  local cur, wrong = member_value(db, key, ty, member)
  if wrong then
    cur = parked_value(m, member, ty)
    if cur == nil then
      park(m, member, ty, num(delta))
    elseif canonical_number(cur) then
      park(m, member, ty, num(tonumber(cur) + delta))
    end
    return
  end
  if cur == nil then
    write_member_num(db, key, ty, member, delta)
    return
  end
  if not canonical_number(cur) then return end
  sel(db)
  if ty == 'zset' then
    redis.pcall('ZINCRBY', key, num(delta), member)
  elseif ty == 'hash' then
    if delta == math.floor(delta) and math.abs(delta) < 1e15 then
      local r = redis.pcall('HINCRBY', key, member, num(delta))
      if type(r) == 'number' then return end
    end
    redis.pcall('HINCRBYFLOAT', key, member, num(delta))
  end
end

-- brings a counted member's data in line with its register (flag '+' present, otherwise absent as
-- of stamp st) and counters: a present register takes fix on top; an absent one leaves the sum of
-- the increments, and the member exists iff some increment is newer than st or unseen by it
local function settle_member(m, db, key, ty, member, flag, st, cv, fix)
  if flag == '+' then
    add_member(m, db, key, ty, member, fix)
    return
  end
  local base = st or ''
  local present = false
  for _, c in pairs(cv) do
    if c.st > base or c.tot ~= c.seen then present = true end
  end
  if present then
    write_member_num(db, key, ty, member, cv_sum(cv))
  else
    write_member(db, key, ty, member, nil)
  end
end

-- every counted member of a key: member -> type
local function counted_members(m)
  local out = {}
  if m.kind ~= 'h' then return out end
  sel(m.mdb)
  local all = redis.call('HGETALL', m.key)
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 1) == 'c' then
      out[string.sub(all[i], 2)] = string.sub(all[i + 1], 1, 1) == 'z' and 'zset' or 'hash'
    end
  end
  return out
end

-- members written or removed later than t: a whole-key change at t must not undo them. Each is
-- { member, flag, value, type, parked }: a present member's value is in the data, or parked.
local function later_fields(m, db, t)
  if m.kind ~= 'h' then return {} end
  sel(m.mdb)
  local all = redis.call('HGETALL', m.key)
  local keep, parked = {}, {}
  for i = 1, #all, 2 do
    local name = all[i]
    local tag = string.sub(name, 1, 1)
    if tag == 'f' and string.sub(all[i + 1], 2) > t then
      keep[#keep + 1] = { string.sub(name, 2), string.sub(all[i + 1], 1, 1) }
    elseif tag == 'p' then
      parked[string.sub(name, 2)] = all[i + 1]
    end
  end
  if #keep > 0 then
    sel(db)
    local ty = redis.call('TYPE', m.key)['ok']
    for _, k in ipairs(keep) do
      k[4] = ty
      if k[2] == '+' then
        k[3] = member_value(db, m.key, ty, k[1])
        local p = parked[k[1]]
        if k[3] == nil and p then
          k[3], k[4], k[5] = string.sub(p, 2), PARK_TYPE[string.sub(p, 1, 1)], true
        end
      end
    end
  end
  return keep
end

-- member metadata at or before t is dominated by a whole-key change at t: drop it (and a value
-- parked under it)
local function drop_dominated(m, t)
  if m.kind ~= 'h' then return end
  sel(m.mdb)
  local all = redis.call('HGETALL', m.key)
  local parked = {}
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 1) == 'p' then parked[string.sub(all[i], 2)] = true end
  end
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 1) == 'f' and string.sub(all[i + 1], 2) <= t then
      local member = string.sub(all[i], 2)
      redis.call('HDEL', m.key, all[i])
      if parked[member] then redis.call('HDEL', m.key, 'p' .. member) end
    end
  end
end

-- puts the later members back on top of a whole-key change: into the data when the key now holds
-- their type (or nothing), parked while it holds another
local function reapply_fields(m, db, key, keep)
  for _, k in ipairs(keep) do
    if k[2] == '+' then
      if k[3] then
        if k[5] then unpark(m, k[1]) end
        put_member(m, db, key, k[4], k[1], k[3])
      end
    else
      write_member(db, key, nil, k[1], nil)
    end
  end
end

-- merges one member operation of stamp ctx.t: value nil removes it; typ as in write_member;
-- fvec: the member's counter totals the writer had seen (parsed 'u'), reset by this write
local function merge_member(ctx, db, key, typ, member, value, local_write, fvec)
  local t = ctx.t
  if not local_write and t <= epoch_of(ctx, db) then return end
  local m = meta_load(ctx.N + db, key)
  -- a member cannot live in a list (a type conflict: the list keeps the key)
  if m.kind == 'l' then return end
  -- a stream entry below the stream's trim floor is gone on every node, whenever it arrives
  if typ == 'stream' and value ~= nil and STREAM.below_floor(m, member, t) then return end
  -- the member's counters, register stamp and parked value, in one read (member_cv, field_meta
  -- and parked_value would each read one)
  local cv, cty, st, parked = {}, nil, nil, nil
  if m.kind == 'h' then
    sel(m.mdb)
    local h = redis.call('HMGET', m.key, 'c' .. member, 'f' .. member, 'p' .. member)
    if h[1] then
      cty = string.sub(h[1], 1, 1) == 'z' and 'zset' or 'hash'
      cv = parse_vec(string.sub(h[1], 3))
    end
    if h[2] then st = string.sub(h[2], 2) end
    parked = h[3]
  end
  local counted = next(cv) ~= nil or (fvec ~= nil and next(fvec) ~= nil)
  typ = typ or cty
  if not local_write then
    if (m.t and t <= m.t) or (m.d and t <= m.d) then return end
    if st and t <= st then return end
    -- a value parked under the member's older register is superseded
    if parked then unpark(m, member) end
    if counted then
      merge_vec({ cv = cv }, fvec or {}, epoch_of(ctx, db))
      set_seen({ cv = cv }, fvec or {})
      if value then
        put_member(m, db, key, typ, member, value)
        settle_member(m, db, key, typ, member, '+', t, cv, cv_sum(cv))
      else
        settle_member(m, db, key, typ, member, '-', t, cv, 0)
      end
    else
      put_member(m, db, key, typ, member, value)
    end
  elseif counted then
    -- the local writer has seen every total it holds
    for _, c in pairs(cv) do c.seen = c.tot end
  end
  set_field_meta(m, member, value and '+' or '-', t)
  if counted then set_member_cv(m, member, typ, cv) end
  if local_write then
    meta_save(m, exists(db, key))
  else
    meta_save(m, enforce_ttl(db, key, m))
  end
end

-- merges one member increment: origin ctx.origin's running total of the member at stamp ctx.t,
-- counted from flush epoch ctx.q (remote; a local write counts from the db's current epoch)
-- (local_write: the data already changed by delta; total is computed here and returned)
local function merge_count(ctx, db, key, typ, member, total, local_write, delta, existed)
  local t = ctx.t
  local ok = counting_key(ctx, db, ctx.q, local_write)
  if ok == nil then return end
  local m = meta_load(ctx.N + db, key)
  if m.kind == 'l' then return end
  local cv = member_cv(m, member)
  local flag, st = field_meta(m, member)
  if next(cv) == nil and flag == nil then
    -- a member that was present with no register of its own got it from a whole-key state
    local had
    if local_write then had = existed else had = member_value(db, key, typ, member) ~= nil end
    if had then
      flag, st = '+', (m.t or '')
      set_field_meta(m, member, flag, st)
    elseif m.t or m.d then
      -- an absent one is removed as of the key's last whole-key state or delete, exactly as
      -- settle_counted leaves it where that change arrives after the increment: only increments
      -- newer than the change or unseen by it make it exist (an unseen total of 0 does not)
      flag, st = '-', last_whole(m)
      set_field_meta(m, member, flag, st)
    end
  end
  local c = cv[ok]
  if c == nil then
    c = { st = '', tot = 0, seen = 0 }
    cv[ok] = c
  end
  if local_write then
    c.tot = c.tot + delta
    c.st = t
  else
    if t <= c.st then return end
    local before = cv_sum(cv)
    c.tot = total
    c.st = t
    settle_member(m, db, key, typ, member, flag, st, cv, cv_sum(cv) - before)
  end
  set_member_cv(m, member, typ, cv)
  if local_write then
    meta_save(m, exists(db, key))
  else
    meta_save(m, enforce_ttl(db, key, m))
  end
  return c.tot
end

-- after a whole-key change at t (the key's state restored or deleted) its counted members: those
-- without a later register of their own take the change's register (present iff in the new state)
-- and reset the totals it had seen (mvec: member -> seen vector); unseen increments stay on top
local function settle_counted(ctx, m, db, key, t, mvec, local_write, flush)
  local members = counted_members(m)
  for mb, ty in pairs(mvec) do
    if members[mb] == nil then members[mb] = ty.ty end
  end
  if next(members) == nil then return end
  sel(db)
  local kty = redis.call('TYPE', key)['ok']
  for mb, ty in pairs(members) do
    local flag, st = field_meta(m, mb)
    if st and st > t then
      local cv = member_cv(m, mb)
      if flush then
        -- a register written after the flush stays, but not the totals counted before it
        local before = cv_sum(cv)
        drop_flushed(cv, t)
        settle_member(m, db, key, ty, mb, flag, st, cv, cv_sum(cv) - before)
        set_member_cv(m, mb, ty, cv)
      elseif flag == '-' and not local_write then
        -- a later removal was re-applied as a plain removal: unseen increments stay on top of it
        settle_member(m, db, key, ty, mb, flag, st, cv, 0)
      end
    else
      local cv = member_cv(m, mb)
      if flush then drop_flushed(cv, t) end
      local carried = (mvec[mb] and mvec[mb].vec) or {}
      merge_vec({ cv = cv }, carried, (not local_write) and epoch_of(ctx, db) or nil)
      set_seen({ cv = cv }, carried)
      local present = (kty == ty) and member_value(db, key, ty, mb) ~= nil
      if not local_write then
        settle_member(m, db, key, ty, mb, present and '+' or '-', t, cv, cv_sum(cv))
      end
      set_field_meta(m, mb, present and '+' or '-', t)
      set_member_cv(m, mb, ty, cv)
    end
  end
end

--[[
Lists merged per element (docs/design/merge.md, "Lists"). Every element has an id: the side it was
pushed on ('h' head, 't' tail), the push's stamp, a space, its index within the push (a length
letter, then hex digits, so that the ids of one push sort by index), a space, and the log entry
that pushed it, "origin:seq" (seq in hex; a snapshot merge tells by it whether the other node had
seen the push). The metadata of a list key is a
list in the metadata db: element 0 holds the key-level string, then one id per element of the data
list, in the same order. Canonical order: every head-pushed element first, by descending id, then
every tail-pushed one by ascending id. A local push carries a stamp above every element's
(newest_stamp), so Redis puts it where canonical order does; a received push is inserted where its id
sorts (almost always at its end of the list). Nodes that hold the same ids hold the same list.
A whole-key state that is a list gives its elements tail ids at its stamp, in its order.
]]
local function elem_id(side, t, i, src)
  local h = string.format('%x', i)
  return side .. t .. ' ' .. string.char(96 + #h) .. h .. ' ' .. (src or '')
end

local function id_stamp(id)
  return string.match(id, '^.(%S+)')
end

-- the origin and sequence of the log entry that pushed an element, or nil
local function id_source(id)
  local o, q = string.match(id, ' (%x+):(%x+)$')
  if o == nil then return nil end
  return o, tonumber(q, 16)
end

-- "origin:seq" of the entry a write of ctx is logged as: received, the entry under way (ctx.src);
-- local, the next entry of this node's log
local function entry_src(ctx)
  if ctx.src == nil then
    sel(2 * ctx.N)
    local head = tonumber(redis.call('HGET', 'km:pos', ctx.origin) or '0')
    ctx.src = ctx.origin .. ':' .. string.format('%x', head + 1)
  end
  return ctx.src
end

-- a vector "origin seq ..." as origin -> seq
local function parse_pos(s)
  local v = {}
  for o, q in string.gmatch(s or '', '(%S+) (%d+)') do v[o] = tonumber(q) end
  return v
end

local function pos_str(v)
  local out = {}
  for _, o in ipairs(sorted_keys(v)) do out[#out + 1] = o .. ' ' .. string.format('%d', v[o]) end
  if #out == 0 then return nil end
  return table.concat(out, ' ')
end

-- whether element id a comes before id b in canonical order
local function id_before(a, b)
  local sa = string.byte(a, 1)
  if sa ~= string.byte(b, 1) then return sa == 104 end
  if sa == 104 then return a > b end
  return a < b
end

-- no client value holds this: it marks the elements a call removes or inserts next to
local LIST_MARK = '\0keymesh\0list\0mark\0'
-- elements per LPUSH/RPUSH argument list (a Lua call takes a few thousand arguments)
local LIST_CHUNK = 1000
local LIST_PAGE = 32

local function tomb_has(m, id)
  return m.x ~= nil and string.find(m.x, ',' .. id .. ',', 1, true) ~= nil
end

local function tomb_add(m, id)
  if not tomb_has(m, id) then m.x = (m.x or ',') .. id .. ',' end
end

local function meta_to_list(m)
  if m.kind ~= 'l' then
    sel(m.mdb)
    redis.call('DEL', m.key)
    redis.call('RPUSH', m.key, '')
    m.kind = 'l'
  end
end

local function meta_off_list(m)
  if m.kind == 'l' then
    sel(m.mdb)
    redis.call('DEL', m.key)
    m.kind = 'n'
  end
end

-- pushes items[from..to] with cmd (RPUSH, LPUSH), a chunk per call
local function push_all(cmd, key, items, from, to)
  local i = from or 1
  to = to or #items
  while i <= to do
    local j = math.min(to, i + LIST_CHUNK - 1)
    redis.call(cmd, key, unpack(items, i, j))
    i = j + 1
  end
end

-- puts items at the head of a list, in their order
local function lpush_ordered(key, items)
  local rev = {}
  for i = #items, 1, -1 do rev[#rev + 1] = items[i] end
  push_all('LPUSH', key, rev)
end

-- whether key's metadata holds one id per element of its data list (data that is gone, expired or
-- deleted, drops its ids); false when the data is another type, or a list without ids
local function list_aligned(m, db, key)
  sel(db)
  local n = redis.pcall('LLEN', key)
  if type(n) ~= 'number' then return false end
  if m.kind ~= 'l' then return n == 0 end
  sel(m.mdb)
  local ids = redis.call('LLEN', m.key) - 1
  if ids == n then return true end
  if n == 0 then
    redis.call('LTRIM', m.key, 0, 0)
    return true
  end
  return false
end

local function list_len(m)
  sel(m.mdb)
  return redis.call('LLEN', m.key) - 1
end

-- inserts ids (canonical order) and their values before the element at position p (1-based, len + 1
-- to append) of the metadata and data lists
local function list_insert_at(m, db, key, p, ids, vals)
  local len = list_len(m)
  if p == len + 1 then
    push_all('RPUSH', m.key, ids)
    sel(db)
    push_all('RPUSH', key, vals)
    return
  end
  if p == 1 then
    local head = redis.call('LINDEX', m.key, 0)
    redis.call('LSET', m.key, 0, ids[#ids])
    local rest = { head }
    for i = 1, #ids - 1 do rest[#rest + 1] = ids[i] end
    lpush_ordered(m.key, rest)
    sel(db)
    lpush_ordered(key, vals)
    return
  end
  for _, two in ipairs({ { m.mdb, m.key, p, ids }, { db, key, p - 1, vals } }) do
    sel(two[1])
    local k, at, items = two[2], two[3], two[4]
    local orig = redis.call('LINDEX', k, at)
    redis.call('LSET', k, at, LIST_MARK)
    for _, v in ipairs(items) do redis.call('LINSERT', k, 'BEFORE', LIST_MARK, v) end
    redis.call('LSET', k, at + #items, orig)
  end
end

-- where id goes: the position (1-based) before which canonical order puts it, or nil when the list
-- holds it already. A head id is looked for from the head, a tail id from the tail: past the
-- elements pushed later on that side only.
local function list_position(m, id, len)
  sel(m.mdb)
  if string.byte(id, 1) == 104 then
    local from = 1
    while from <= len do
      local page = redis.call('LRANGE', m.key, from, from + LIST_PAGE - 1)
      for i, e in ipairs(page) do
        if e == id then return nil end
        if id_before(id, e) then return from + i - 1 end
      end
      from = from + LIST_PAGE
    end
    return len + 1
  end
  local to = len
  while to >= 1 do
    local from = math.max(1, to - LIST_PAGE + 1)
    local page = redis.call('LRANGE', m.key, from, to)
    for i = #page, 1, -1 do
      if page[i] == id then return nil end
      if id_before(page[i], id) then return from + i end
    end
    to = from - 1
  end
  return 1
end

-- a received push: values vals pushed on side ('h' or 't') at stamp ctx.t, the first with index i0.
-- Elements older than the key's last whole-key change or its db's flush, removed already (a
-- tombstone) or present already are left out; a key of another type keeps its value.
local function list_push_remote(ctx, db, key, side, vals, i0, given)
  local t = ctx.t
  if t <= epoch_of(ctx, db) then return end
  local m = meta_load(ctx.N + db, key)
  if (m.t and t <= m.t) or (m.d and t <= m.d) then return end
  local src = nil
  if not given then
    -- a push a merged snapshot already reflected (present there, or popped since)
    src = entry_src(ctx)
    if m.cov and ctx.seq and (parse_pos(m.cov)[ctx.origin] or 0) >= ctx.seq then return end
  end
  sel(db)
  local ty = redis.call('TYPE', key)['ok']
  if ty ~= 'list' and ty ~= 'none' then
    -- a state of another type, earlier than the push: the push supersedes it
    redis.call('DEL', key)
  end
  if not list_aligned(m, db, key) then return end
  meta_to_list(m)
  if m.lt == nil or t > m.lt then m.lt = t end
  -- tail elements in push order land at the tail one after the other; head ones the other way round
  local from, to, step = 1, #vals, 1
  if side == 'h' then from, to, step = #vals, 1, -1 end
  for i = from, to, step do
    local id = given and given[i] or elem_id(side, t, i0 + i - 1, src)
    if not tomb_has(m, id) then
      local p = list_position(m, id, list_len(m))
      if p then list_insert_at(m, db, key, p, { id }, { vals[i] }) end
    end
  end
  meta_save(m, enforce_ttl(db, key, m))
end

-- removes the elements whose ids are given from a list key's data and metadata, both aligned; returns
-- the ids it did not find
local function list_remove_ids(m, db, key, ids)
  local want = {}
  local left = 0
  for _, id in ipairs(ids) do
    if not want[id] then
      want[id] = true
      left = left + 1
    end
  end
  -- from either end first: pops take them there
  for _, side in ipairs({ 'h', 't' }) do
    while left > 0 do
      sel(m.mdb)
      local len = redis.call('LLEN', m.key) - 1
      if len == 0 then break end
      local n = math.min(len, LIST_PAGE, left)
      local page
      if side == 'h' then page = redis.call('LRANGE', m.key, 1, n) else page = redis.call('LRANGE', m.key, -n, -1) end
      local run = 0
      if side == 'h' then
        while run < #page and want[page[run + 1]] do run = run + 1 end
      else
        while run < #page and want[page[#page - run]] do run = run + 1 end
      end
      if run == 0 then break end
      if side == 'h' then
        local popped = redis.call('LPOP', m.key, run + 1)
        redis.call('LPUSH', m.key, popped[1])
        for i = 2, #popped do want[popped[i]] = nil end
        sel(db)
        redis.call('LPOP', key, run)
      else
        for _, id in ipairs(redis.call('RPOP', m.key, run)) do want[id] = nil end
        sel(db)
        redis.call('RPOP', key, run)
      end
      left = left - run
    end
  end
  if left > 0 then
    -- elsewhere: marked, then removed in one LREM per list
    sel(m.mdb)
    local at = {}
    if left <= 8 then
      for id in pairs(want) do
        local p = redis.call('LPOS', m.key, id)
        if p then at[#at + 1] = p end
      end
    else
      local all = redis.call('LRANGE', m.key, 1, -1)
      for i, id in ipairs(all) do
        if want[id] then at[#at + 1] = i end
      end
    end
    if #at > 0 then
      for _, p in ipairs(at) do
        want[redis.call('LINDEX', m.key, p)] = nil
        redis.call('LSET', m.key, p, LIST_MARK)
      end
      redis.call('LREM', m.key, 0, LIST_MARK)
      sel(db)
      for _, p in ipairs(at) do redis.call('LSET', key, p - 1, LIST_MARK) end
      redis.call('LREM', key, 0, LIST_MARK)
    end
  end
  local missing = {}
  for id in pairs(want) do missing[#missing + 1] = id end
  return missing
end

-- a received removal of elements (a pop, LREM, LTRIM) by their ids: those not here yet are
-- remembered (their push may still arrive)
local function list_remove_remote(ctx, db, key, ids)
  local m = meta_load(ctx.N + db, key)
  local missing = ids
  if m.kind == 'l' then
    if not list_aligned(m, db, key) then return end
    missing = list_remove_ids(m, db, key, ids)
  end
  for _, id in ipairs(missing) do tomb_add(m, id) end
  if m.kind ~= 'l' and m.kind ~= 'h' and #missing == 0 then return end
  meta_save(m, enforce_ttl(db, key, m))
end

-- a local push of n values on side at stamp t, which the data holds already: their ids
local function list_push_local(m, side, t, n, src)
  local ids = {}
  for i = 0, n - 1 do ids[#ids + 1] = elem_id(side, t, i, src) end
  sel(m.mdb)
  if side == 't' then
    push_all('RPUSH', m.key, ids)
  else
    -- Redis put the last value first: from the head, ids by descending index
    local head = redis.call('LINDEX', m.key, 0)
    redis.call('LSET', m.key, 0, ids[1])
    local rest = {}
    for i = 2, n do rest[#rest + 1] = ids[i] end
    rest[#rest + 1] = head
    push_all('LPUSH', m.key, rest)
  end
end

-- a local pop of n elements from side, which the data lost already: their ids, in popped order
local function list_pop_local(m, side, n)
  sel(m.mdb)
  if side == 't' then return redis.call('RPOP', m.key, n) end
  local r = redis.call('LPOP', m.key, n + 1)
  redis.call('LPUSH', m.key, r[1])
  table.remove(r, 1)
  return r
end

-- the elements of a list later than t, which a whole-key change at t keeps: head-pushed ones at its
-- head and tail-pushed ones at its tail (each end holds its side's newest outermost); nil for none
local function later_elements(m, db, key, t)
  if m.kind ~= 'l' or not list_aligned(m, db, key) then return nil end
  local len = list_len(m)
  local a, b = 0, 0
  local from = 1
  while from <= len do
    local page = redis.call('LRANGE', m.key, from, from + LIST_PAGE - 1)
    local n = 0
    while n < #page and string.byte(page[n + 1], 1) == 104 and id_stamp(page[n + 1]) > t do n = n + 1 end
    a = a + n
    if n < #page then break end
    from = from + LIST_PAGE
  end
  local to = len
  while to > a do
    local f = math.max(a + 1, to - LIST_PAGE + 1)
    local page = redis.call('LRANGE', m.key, f, to)
    local n = 0
    while n < #page and string.byte(page[#page - n], 1) == 116 and id_stamp(page[#page - n]) > t do n = n + 1 end
    b = b + n
    if n < #page then break end
    to = f - 1
  end
  if a + b == 0 then return nil end
  local kept = { hids = {}, tids = {}, hv = {}, tv = {} }
  if a > 0 then
    kept.hids = redis.call('LRANGE', m.key, 1, a)
    sel(db)
    kept.hv = redis.call('LRANGE', key, 0, a - 1)
  end
  if b > 0 then
    sel(m.mdb)
    kept.tids = redis.call('LRANGE', m.key, -b, -1)
    sel(db)
    kept.tv = redis.call('LRANGE', key, -b, -1)
  end
  return kept
end

-- gives every element of the data list key tail ids at stamp t, in its order (a whole-key state)
local function list_state_ids(m, db, key, t, src)
  sel(db)
  local n = redis.call('LLEN', key)
  sel(m.mdb)
  redis.call('DEL', m.key)
  redis.call('RPUSH', m.key, '')
  m.kind = 'l'
  local i = 0
  while i < n do
    local ids = {}
    for j = i, math.min(n, i + LIST_CHUNK) - 1 do ids[#ids + 1] = elem_id('t', t, j, src) end
    redis.call('RPUSH', m.key, unpack(ids))
    i = i + #ids
  end
end

-- after a whole-key change at t of kind ('s', 'r', 'd', or 'L': a list state whose elements come on
-- their own), the key's list metadata: a list state's elements get ids, the later elements kept
-- (kept, from later_elements) go back at their ends; a key that is no longer a list has none
local function settle_list(m, db, key, t, kind, kept, local_write, src)
  sel(db)
  local ty = redis.call('TYPE', key)['ok']
  if not local_write and ty ~= 'list' and ty ~= 'none' and m.lt and t <= m.lt then
    -- a state of another type that a later push superseded: what it leaves is a delete at t
    redis.call('DEL', key)
    ty = 'none'
    kind = 'd'
  end
  if ty == 'list' and kind == 'r' then
    list_state_ids(m, db, key, t, src)
  elseif ty == 'none' and (kept or kind == 'L') then
    meta_to_list(m)
    sel(m.mdb)
    redis.call('LTRIM', m.key, 0, 0)
  else
    -- another type (or nothing): later elements of a list cannot live in it
    meta_off_list(m)
    return
  end
  if kept then
    if #kept.hids > 0 then list_insert_at(m, db, key, 1, kept.hids, kept.hv) end
    if #kept.tids > 0 then list_insert_at(m, db, key, list_len(m) + 1, kept.tids, kept.tv) end
  end
end

--[[
Merges one key-level operation of stamp ctx.t into key rec.key of user db rec.db.
rec.kind: 's' raw string state, 'r' DUMP state, 'L' a list state whose elements merge on their own
(a snapshot's), 'd' delete, 'e' expiry only, 'i' counter total of
ctx.origin (counted from flush epoch rec.q; a local write's from the db's current one). rec.e: expiry carried with a state, rec.vec: the writer's counter vector (parsed).
With local = true the data was already changed by the real command: only metadata is merged.
]]
local function merge_key(ctx, rec, local_write)
  local t = ctx.t
  local db = rec.db
  if not local_write and t <= epoch_of(ctx, db) then return end
  local ok = nil
  if rec.kind == 'i' then
    ok = counting_key(ctx, db, rec.q, local_write)
    if ok == nil then
      if rec.then_e then merge_key(ctx, { db = db, key = rec.key, kind = 'e', e = rec.then_e }, local_write) end
      return
    end
  end
  local m = rec.meta or meta_load(ctx.N + db, rec.key)
  local before = sigma(m)
  local kind = rec.kind
  if rec.vec then merge_vec(m, rec.vec, (not local_write) and epoch_of(ctx, db) or nil) end
  local fix = 0
  if kind == 's' or kind == 'r' or kind == 'd' or kind == 'L' then
    local wins = (m.t == nil or t > m.t) and (m.d == nil or t > m.d)
    if wins or local_write then
      local keep = {}
      local lkeep = nil
      if not local_write then
        keep = later_fields(m, db, t)
        lkeep = later_elements(m, db, rec.key, t)
      end
      drop_dominated(m, t)
      set_seen(m, rec.vec or {})
      local old_et = et_of(m)
      if kind == 'd' then
        m.d = t
        if not local_write then
          sel(db)
          redis.call('DEL', rec.key)
          reapply_fields(m, db, rec.key, keep)
          STREAM.after_whole(ctx.N, m, db, rec.key, t, 'd')
        end
        if old_et == nil or t > old_et then
          m.e = 0
          m.et = t
        end
      else
        if not local_write then
          sel(db)
          if kind == 's' then
            redis.call('SET', rec.key, rec.payload)
          elseif kind == 'L' then
            redis.call('DEL', rec.key)
          else
            redis.call('RESTORE', rec.key, '0', rec.payload, 'REPLACE')
          end
          reapply_fields(m, db, rec.key, keep)
          -- a stream's trim floor holds for a state restored over it too
          if kind == 'r' then STREAM.after_whole(ctx.N, m, db, rec.key, t, 'r') end
        end
        m.t = t
        m.d = nil
        if old_et == nil or t > old_et then
          m.e = rec.e or 0
          m.et = nil
        else
          m.et = old_et
        end
      end
      if rec.mvec or m.kind == 'h' then
        settle_counted(ctx, m, db, rec.key, t, rec.mvec or {}, local_write, rec.flush)
      end
      if m.kind == 'l' or m.lt or kind == 'r' or kind == 'L' then settle_list(m, db, rec.key, t, kind, lkeep, local_write, ctx.origin and entry_src(ctx)) end
      if not local_write then fix = sigma(m) end
    else
      fix = sigma(m) - before
    end
  elseif kind == 'e' then
    merge_expiry(m, rec.e, t, local_write)
  elseif kind == 'i' then
    local c = m.cv[ok]
    if c == nil then
      c = { st = '', tot = 0, seen = 0 }
      m.cv[ok] = c
    end
    if local_write then
      c.tot = c.tot + rec.delta
      c.st = t
    elseif t > c.st then
      c.tot = rec.total
      c.st = t
      fix = sigma(m) - before
    end
    -- the expiry the same write set after the increment (a new key's "e 0"), merged in the same
    -- step as its own 'e' would be
    if rec.then_e then merge_expiry(m, rec.then_e, t, local_write) end
  end
  if not local_write and next(m.cv) ~= nil then
    fix_counter(db, rec.key, m, fix)
  end
  local present
  if local_write then
    present = kind == 's' or (kind == 'r' and m.kind ~= 'l') or exists(db, rec.key)
  else
    present = enforce_ttl(db, rec.key, m)
  end
  meta_save(m, present)
  return m
end
