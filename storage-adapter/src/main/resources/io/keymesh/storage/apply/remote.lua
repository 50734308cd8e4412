-- keymesh apply library, part 5 of 5: remote apply (km_r), snapshot merge, housekeeping.

-- applies the fields of one log entry (t, x, then ops) at this node
local function apply_entry(ctx, fields)
  local db = 0
  local rec = nil
  -- the flush epoch ('q') of the increment that follows, if any
  local q = nil
  -- list ops of the current key: consecutive H (head push), T (tail push) or X (removal) go together
  local function list_flush()
    if rec and rec.lop then
      if rec.lop == 'X' then
        list_remove_remote(ctx, rec.db, rec.key, rec.lv)
      else
        local side = rec.lop == 'H' and 'h' or 't'
        local i0 = rec[side] or 0
        list_push_remote(ctx, rec.db, rec.key, side, rec.lv, i0)
        rec[side] = i0 + #rec.lv
      end
      rec.lop, rec.lv = nil, nil
    end
  end
  local function finish()
    list_flush()
    if rec and rec.kind then merge_key(ctx, rec, false) end
    rec = nil
  end
  local function run(f)
    for i = 1, #f, 2 do
      local name, v = f[i], f[i + 1]
      if rec and rec.lop and name ~= rec.lop then list_flush() end
      if name == 'H' or name == 'T' or name == 'X' then
        rec.lop = name
        rec.lv = rec.lv or {}
        rec.lv[#rec.lv + 1] = v
      elseif name == 'm' then
        run(cmsgpack.unpack(v))
      elseif name == 't' then
        -- an entry of several plain SETs has a stamp per SET
        finish()
        ctx.t = v
      elseif name == 'x' then
        ctx.x = v
      elseif name == 'b' then
        finish()
        db = tonumber(v)
      elseif name == 'k' then
        finish()
        rec = { db = db, key = v }
      elseif name == 'v' then
        rec.vec = parse_seen(v)
      elseif name == 's' or name == 'r' then
        rec.kind = name
        rec.payload = v
      elseif name == 'd' then
        rec.kind = 'd'
      elseif name == 'e' then
        if rec.kind == 's' or rec.kind == 'r' then
          rec.e = tonumber(v)
        elseif rec.kind == 'i' and rec.then_e == nil then
          -- a counter op's expiry (a new key's): merged with it in one step
          rec.then_e = tonumber(v)
        else
          if rec.kind ~= nil then
            -- an expiry after a counter op: its own step on the same key
            local k, d = rec.key, rec.db
            finish()
            rec = { db = d, key = k }
          end
          rec.kind = 'e'
          rec.e = tonumber(v)
        end
      elseif name == 'q' then
        -- the flush epoch the next total counts from
        q = v
      elseif name == 'i' then
        rec.kind = 'i'
        rec.total = tonumber(v)
        rec.q = q
        q = nil
      elseif name == 'h' then
        rec.field = v
        rec.ftype = 'hash'
      elseif name == 'z' then
        rec.field = v
        rec.ftype = 'zset'
      elseif name == 'w' then
        merge_member(ctx, rec.db, rec.key, rec.ftype, rec.field, v, false, rec.fvec)
        rec.fvec = nil
      elseif name == 'j' then
        ctx.q = q
        merge_count(ctx, rec.db, rec.key, rec.ftype, rec.field, tonumber(v), false)
        ctx.q = nil
        q = nil
      elseif name == 'c' then
        rec.cmember = v
      elseif name == 'u' then
        if rec.cmember then
          -- a whole-key state's seen totals of one counted member: "<h|z> origin stamp total ..."
          rec.mvec = rec.mvec or {}
          rec.mvec[rec.cmember] = { ty = string.sub(v, 1, 1) == 'z' and 'zset' or 'hash', vec = parse_seen(string.sub(v, 3)) }
          rec.cmember = nil
        else
          rec.fvec = parse_seen(v)
        end
      elseif name == 'a' then
        merge_member(ctx, rec.db, rec.key, 'set', v, '', false)
      elseif name == 'g' then
        merge_member(ctx, rec.db, rec.key, rec.fvec and rec.ftype or nil, v, nil, false, rec.fvec)
        rec.fvec = nil
      elseif name == 'xa' then
        -- a stream entry (stream.lua): its ID, then its fields
        rec.xid = v
      elseif name == 'xv' then
        STREAM.merge_add(ctx, rec.db, rec.key, rec.xid, v)
      elseif name == 'xd' then
        merge_member(ctx, rec.db, rec.key, 'stream', v, nil, false)
      elseif name == 'xt' then
        STREAM.merge_floor(ctx, rec.db, rec.key, v, false)
      elseif name == 'xg' then
        rec.xgroup = v
      elseif name == 'xgc' or name == 'xgd' or name == 'xl' or name == 'xp' or name == 'xk' then
        STREAM.merge_group(ctx, rec.db, rec.key, rec.xgroup, name, v)
      elseif name == 'f' then
        finish()
        flush_at(ctx, tonumber(v), 'ASYNC')
      elseif name == 'F' then
        -- a function library (script.lua): its code follows as L ('' when deleted)
        finish()
        rec = { lib = v }
      elseif name == 'L' then
        fn_record(ctx.N, rec.lib, v, ctx.t)
        rec = nil
      elseif name == 'P' or name == 'S' then
        -- a PUBLISH (S: SPUBLISH) a script made (script.lua): its message follows as M
        finish()
        rec = { channel = v, sharded = name == 'S' }
      elseif name == 'M' then
        redis.call(rec.sharded and 'SPUBLISH' or 'PUBLISH', rec.channel, v)
        rec = nil
      end
    end
  end
  run(fields)
  finish()
end

-- the entry e (its fields argv[e.from .. e.to]) as items applied in runs, when every write in it is
-- one of the most common kinds, each "t <stamp> [b <db>] k <key>" then its ops:
--   plain SET          "s <value>"                      { plain, db, t, key, value, p }
--   counter increment  "[q <epoch>] i <total> [e 0]"    { ctr, db, t, key, q, total, e0 }
--   hash field writes  "h <f> w <v> ... [e 0]"          { hf, db, t, key, h, n, e0 }
-- (what km_ws, and km_wr for the INCR family and HSET, log); p: the write's packed stamp, from e.p
-- as the links send them (per field t, a length byte, then that many bytes; 0: none); h: where the
-- write's first "h" is in argv, n: how many fields it writes (each "h <f> w <v>"). A db set by
-- "b" holds for the writes after it, as in apply_entry. Returns nil for any other entry, which is
-- applied field by field.
function RUN.split(argv, e)
  local items = {}
  local p, pat = e.p, 1
  local db, at, z = 0, e.from, e.to
  local byte, sub = string.byte, string.sub
  while at <= z do
    local t, key
    t, db, key, at = RUN.write_head(argv, at, z, db)
    if t == nil then return nil end
    local pfrom, pto = nil, nil
    if p ~= nil then
      local len = byte(p, pat) or 0
      if len > 0 then pfrom, pto = pat + 1, pat + len end
      pat = pat + 1 + len
    end
    local op, it = argv[at], nil
    if op == 's' then
      it = { plain = true, db = db, t = t, key = key, value = argv[at + 1], p = pfrom and sub(p, pfrom, pto), seq = e.seq }
      at = at + 2
    elseif op == 'q' or op == 'i' then
      local q = nil
      if op == 'q' then
        q = argv[at + 1]
        at = at + 2
        if argv[at] ~= 'i' then return nil end
      end
      local total = tonumber(argv[at + 1])
      if total == nil then return nil end
      it = { ctr = true, db = db, t = t, key = key, q = q, total = total, raw = argv[at + 1], seq = e.seq }
      at = at + 2
    elseif op == 'h' then
      local h = at
      while argv[at] == 'h' and argv[at + 2] == 'w' do at = at + 4 end
      it = { hf = true, db = db, t = t, key = key, h = h, n = (at - h) / 4, seq = e.seq }
    else
      return nil
    end
    if not it.plain and argv[at] == 'e' then
      if argv[at + 1] ~= '0' then return nil end
      it.e0 = true
      at = at + 2
    end
    if at <= z and argv[at] ~= 't' then return nil end
    items[#items + 1] = it
  end
  return items
end

-- adds to items the entry e: the items RUN.split made of it (e.items), else the entry itself,
-- applied field by field
local function add_items(items, e)
  if e.items == nil then
    items[#items + 1] = e
    return
  end
  for _, it in ipairs(e.items) do items[#items + 1] = it end
end

-- the fields of one item RUN.split made of argv, as apply_entry takes them
function RUN.item_fields(argv, it)
  local f = { 't', it.t, 'b', tostring(it.db), 'k', it.key }
  if it.plain then
    f[7], f[8] = 's', it.value
    return f
  end
  if it.ctr then
    if it.q then
      f[#f + 1] = 'q'
      f[#f + 1] = it.q
    end
    f[#f + 1] = 'i'
    f[#f + 1] = it.raw
  else
    for a = it.h, it.h + 4 * it.n - 1 do f[#f + 1] = argv[a] end
  end
  if it.e0 then
    f[#f + 1] = 'e'
    f[#f + 1] = '0'
  end
  return f
end

-- at most this many writes in one run of apply_entries, and keys in one MGET or MSET of RUN.set_merge
local SET_RUN_MAX = 256

-- applies plain sets entries[from .. to - 1] of one db (RUN.split's plain items) as RUN.set_merge
-- does; false, having changed nothing, when it cannot
local function apply_set_run(ctx, db, entries, from, to)
  local keys, ts, ps, vs = {}, {}, {}, {}
  for q = from, to - 1 do
    local e = entries[q]
    local n = q - from + 1
    keys[n], ts[n], ps[n], vs[n] = e.key, e.t, e.p or false, e.value
  end
  return RUN.set_merge(ctx, db, keys, ts, ps, vs)
end

-- applies plain SETs of one db, the i-th of key keys[i], stamp ts[i] (ps[i] its packed form, or
-- false), value vs[i], onto keys whose metadata is just a register stamp: last writer wins per key,
-- the stamps read with MGETs and written with MSETs of up to SET_RUN_MAX keys, the values with MSETs.
-- Returns false, having changed nothing, when any key's metadata holds more (expiry, tombstone,
-- counters, members): the writes then take apply_entry one by one.
function RUN.set_merge(ctx, db, keys, ts, ps, vs)
  local n = #keys
  if n == 0 then return true end
  local ep = epoch_of(ctx, db)
  local mdb = ctx.N + db
  -- cur: each key's register stamp (packed or text) as stored, then as merged; false for none
  local cur, absent = {}, {}
  local value, order = {}, {}
  for c = 1, n, SET_RUN_MAX do
    local d = math.min(n, c + SET_RUN_MAX - 1)
    sel(mdb)
    local metas = redis.call('MGET', unpack(keys, c, d))
    for i = c, d do
      local k = keys[i]
      local mt = cur[k]
      if mt == nil then
        mt = metas[i - c + 1]
        if not bare_stamp(mt) then return false end
        if mt == false then absent[#absent + 1] = k end
        cur[k] = mt
      end
      local t = ts[i]
      if t > ep then
        local p = ps[i] or packed_form(t)
        if mt == false or later_than_stored(t, p, mt) then
          if value[k] == nil then order[#order + 1] = k end
          value[k] = vs[i]
          cur[k] = p or t
        end
      end
    end
  end
  -- MGET answers nil for metadata that is not a string too (a hash of member stamps)
  for c = 1, #absent, SET_RUN_MAX do
    if redis.call('EXISTS', unpack(absent, c, math.min(#absent, c + SET_RUN_MAX - 1))) > 0 then return false end
  end
  for _, src in ipairs({ cur, value }) do
    for c = 1, #order, SET_RUN_MAX do
      local kv = {}
      for i = c, math.min(#order, c + SET_RUN_MAX - 1) do
        local k = order[i]
        kv[#kv + 1] = k
        kv[#kv + 1] = src[k]
      end
      redis.call('MSET', unpack(kv))
    end
    sel(db)
  end
  return true
end

-- applies the entries fresh as apply_entries would when every write in them is a plain SET
-- ("t <stamp> [b <db>] k <key> s <value>") of one db, reading the writes where they are in argv (no
-- item per write) into one RUN.set_merge (what apply_set_run's runs of SET_RUN_MAX leave, one after
-- the other). Returns false, having changed nothing, for any other entry or when a key's metadata
-- holds more than a register stamp: RUN.split and apply_entries take them.
function RUN.sets(ctx, argv, fresh)
  local keys, ts, ps, vs = {}, {}, {}, {}
  local byte, sub = string.byte, string.sub
  local db, n = nil, 0
  for _, e in ipairs(fresh) do
    local at, z, p, pat, edb = e.from, e.to, e.p, 1, 0
    while at <= z do
      local t, key
      t, edb, key, at = RUN.write_head(argv, at, z, edb)
      if t == nil or argv[at] ~= 's' then return false end
      n = n + 1
      ts[n] = t
      local pk = false
      if p ~= nil then
        local len = byte(p, pat) or 0
        if len > 0 then pk = sub(p, pat + 1, pat + len) end
        pat = pat + 1 + len
      end
      ps[n] = pk
      if db == nil then db = edb elseif edb ~= db then return false end
      keys[n] = key
      vs[n] = argv[at + 1]
      at = at + 2
    end
  end
  if n == 0 then return true end
  return RUN.set_merge(ctx, db, keys, ts, ps, vs)
end

-- applies counter items entries[from .. to - 1] (RUN.split's ctr) of one db as RUN.counter_merge
-- does; false, having changed nothing, when it cannot
function RUN.counters(ctx, db, entries, from, to)
  local w = { t = {}, key = {}, q = {}, total = {}, raw = {}, e0 = {} }
  for i = from, to - 1 do
    local it = entries[i]
    local n = i - from + 1
    w.t[n], w.key[n], w.q[n], w.total[n], w.raw[n], w.e0[n] = it.t, it.key, it.q or false, it.total, it.raw, it.e0 or false
  end
  return RUN.counter_merge(ctx, db, w, 1, #w.t + 1)
end

-- applies increments from .. to - 1 of w (parallel arrays: the i-th of stamp w.t[i], to key
-- w.key[i], its total w.total[i] counted since flush epoch w.q[i] (false for none), as text
-- w.raw[i], w.e0[i] true when it ends in "e 0") of one db onto string counters without an expiry
-- (metadata a string or absent, value a string or absent), as merge_key and
-- fix_counter would one by one, with two reads and two writes for the whole run: every key's
-- metadata and value are read with MGET, merged here in order, and written back with MSET (which
-- also leaves no TTL, as enforce_ttl does for an expiry register of none). Keys whose metadata is
-- what increments of one origin leave merge on its text (RUN.counters_lean), any others as
-- parse_meta reads it (RUN.counters_parsed). Returns false, having changed nothing, when any key
-- needs more (an expiry, member or list metadata, another type, a total flushed away, a fractional
-- or large number): the run then takes apply_entry write by write.
function RUN.counter_merge(ctx, db, w, from, to)
  local ep = epoch_of(ctx, db)
  local keys, seen = {}, {}
  local wt, wk, wq = w.t, w.key, w.q
  for q = from, to - 1 do
    if wt[q] > ep then
      -- a total counted from before the db's flush epoch is gone (counting_key): the general path
      if (wq[q] or '') < ep then return false end
      local k = wk[q]
      if seen[k] == nil then
        keys[#keys + 1] = k
        seen[k] = true
      end
    end
  end
  if #keys == 0 then return true end
  local mv = RUN.strings_of(ctx.N + db, keys)
  if mv == nil then return false end
  local dv = RUN.strings_of(db, keys)
  if dv == nil then return false end
  local value = {}
  for i, k in ipairs(keys) do value[k] = dv[i] end
  local ms = RUN.counters_lean(ctx, ep, w, from, to, keys, mv, value)
  if ms == nil then
    for i, k in ipairs(keys) do value[k] = dv[i] end
    ms = RUN.counters_parsed(ctx, ep, w, from, to, keys, mv, value)
    if ms == nil then return false end
  end
  local kv, gone = {}, {}
  for i, k in ipairs(keys) do
    kv[#kv + 1] = k
    kv[#kv + 1] = ms[i]
  end
  sel(ctx.N + db)
  redis.call('MSET', unpack(kv))
  kv = {}
  for i, k in ipairs(keys) do
    if value[k] then
      kv[#kv + 1] = k
      kv[#kv + 1] = value[k]
    elseif dv[i] ~= false then
      gone[#gone + 1] = k
    end
  end
  sel(db)
  if #kv > 0 then redis.call('MSET', unpack(kv)) end
  if #gone > 0 then redis.call('DEL', unpack(gone)) end
  return true
end

-- RUN.counter_merge's merge of its writes w on the metadata as parse_meta reads it (mv: each key's, in the
-- order of keys; value: key -> its value as read, then as merged): the metadata strings to write,
-- in the order of keys, or nil when a key needs the general path
function RUN.counters_parsed(ctx, ep, w, from, to, keys, mv, value)
  local metas = {}
  for i, k in ipairs(keys) do
    local m = parse_meta(mv[i] or '')
    if m.e ~= 0 then return nil end
    metas[k] = m
  end
  for q = from, to - 1 do
    local t = w.t[q]
    if t > ep then
      local k = w.key[q]
      local m = metas[k]
      local before = sigma(m)
      local ok = total_key(ctx.origin, w.q[q] or nil)
      local c = m.cv[ok]
      if c == nil then
        c = { st = '', tot = 0, seen = 0 }
        m.cv[ok] = c
      end
      local fix = 0
      if t > c.st then
        c.tot = w.total[q]
        c.st = t
        fix = sigma(m) - before
      end
      if w.e0[q] then merge_expiry(m, 0, t, false) end
      -- fix_counter, on the value as read
      local v = value[k]
      if (m.t == nil) or (m.d ~= nil and m.d > m.t) then
        if counter_exists(m) then
          local sum = sigma(m)
          if sum ~= math.floor(sum) or math.abs(sum) >= 1e15 then return nil end
          value[k] = num(sum)
        else
          value[k] = false
        end
      elseif fix ~= 0 and (v == false or canonical_number(v)) then
        if not RUN.small_integer(v) or fix ~= math.floor(fix) then return nil end
        local sum = (v and tonumber(v) or 0) + fix
        if math.abs(sum) >= 1e15 then return nil end
        value[k] = num(sum)
      end
    end
  end
  local ms = {}
  for i, k in ipairs(keys) do ms[i] = meta_str(metas[k], true) end
  return ms
end

-- a counter's metadata as RUN.counters_lean merges it: "t|e|et|d|<origin> <stamp> <total> <seen>"
-- with no expiry (e empty) and one total
RUN.LEAN_META = '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^ |]+) ([^ |]+) ([^ |]+) ([^ |]+)$'

-- RUN.counter_merge's merge of its writes w, as RUN.counters_parsed makes it, on keys whose metadata is
-- absent, a bare register stamp, or what increments of one origin leave (RUN.LEAN_META, every
-- number in it and every total received a canonical integer of at most 15 digits), worked out on
-- the strings: no vector parsed or formatted. Returns the metadata strings to write, in the order
-- of keys, or nil (nothing changed) when a key holds anything else or takes a total of another
-- origin or epoch, for RUN.counters_parsed.
function RUN.counters_lean(ctx, ep, w, from, to, keys, mv, value)
  local small, byte, find, match = RUN.small_integer, string.byte, string.find, string.match
  -- per key { register stamp, expiry register stamp, delete stamp ('' for none), its total's vector
  -- key (nil before the first), stamp, total, its text, seen part, its text }
  local st = {}
  for i, k in ipairs(keys) do
    local s = mv[i]
    if s == false or s == '' then
      st[k] = { '', '', '' }
    elseif byte(s, 1) < 32 or not find(s, '|', 1, true) then
      st[k] = { stored_stamp(s), '', '' }
    else
      local t, e, et, d, o, cst, tot, sn = match(s, RUN.LEAN_META)
      if t == nil or e ~= '' or not small(tot) or not small(sn) then return nil end
      st[k] = { t, et, d, o, cst, tonumber(tot), tot, tonumber(sn), sn }
    end
  end
  local wt, wk, wq, wtot, wraw, we0 = w.t, w.key, w.q, w.total, w.raw, w.e0
  local origin = ctx.origin
  for q = from, to - 1 do
    local t = wt[q]
    if t > ep then
      local k = wk[q]
      local r = st[k]
      local ok = origin
      if wq[q] then ok = total_key(origin, wq[q]) end
      if r[4] == nil then
        r[4], r[5], r[6], r[7], r[8], r[9] = ok, '', 0, '0', 0, '0'
      elseif r[4] ~= ok then
        return nil
      end
      local fix = 0
      if t > r[5] then
        local raw, tot = wraw[q], wtot[q]
        if not small(raw) then return nil end
        fix = tot - r[6]
        r[5], r[6], r[7] = t, tot, raw
      end
      if we0[q] then
        -- merge_expiry: the expiry register (its own stamp, else the register's) takes none
        local old = r[2] ~= '' and r[2] or r[1]
        if old == '' or t > old then r[2] = t end
      end
      local tk, dk = r[1], r[3]
      if tk == '' or (dk ~= '' and dk > tk) then
        -- counter_exists, with one total: newer than the last whole-key change, or unseen by it
        local base = tk
        if dk > base then base = dk end
        if r[5] > base or r[6] ~= r[8] then
          local sum = r[6] - r[8]
          if math.abs(sum) >= 1e15 then return nil end
          if r[8] == 0 then value[k] = r[7] else value[k] = num(sum) end
        else
          value[k] = false
        end
      elseif fix ~= 0 then
        local v = value[k]
        if v == false or canonical_number(v) then
          if not small(v) then return nil end
          local sum = (v and tonumber(v) or 0) + fix
          if math.abs(sum) >= 1e15 then return nil end
          value[k] = num(sum)
        end
      end
    end
  end
  local ms = {}
  for i, k in ipairs(keys) do
    local r = st[k]
    local et = r[2]
    if et == r[1] then et = '' end
    ms[i] = r[1] .. '||' .. et .. '|' .. r[3] .. '|' .. r[4] .. ' ' .. r[5] .. ' ' .. r[7] .. ' ' .. r[9]
  end
  return ms
end

-- applies hash field items entries[from .. to - 1] (RUN.split's hf) of one key of one db as
-- RUN.field_merge does; false, having changed nothing, when it cannot
function RUN.fields(ctx, db, entries, from, to)
  local ts, hs, ns, es = {}, {}, {}, {}
  for q = from, to - 1 do
    local it = entries[q]
    local n = q - from + 1
    ts[n], hs[n], ns[n], es[n] = it.t, it.h, it.n, it.e0 or false
  end
  return RUN.field_merge(ctx, db, entries[from].key, ts, hs, ns, es, 1, #ts + 1)
end

-- applies writes from .. to - 1 of hash fields of key key of db db, the i-th of stamp ts[i] writing
-- the ns[i] fields "h <f> w <v>" from ctx.argv[hs[i]] on, es[i] true when it ends in "e 0", onto a
-- key whose metadata is per member or absent and none of whose fields is counted or parked, as
-- merge_member and merge_key would one by one: the key's metadata and the fields' registers read
-- with one HMGET, merged here in order (per field the later stamp wins), then one HSET of the data,
-- one of the metadata and the key's TTL set as enforce_ttl and meta_save would. Returns false,
-- having changed nothing, when the key needs more (string or list metadata, key-level counters, a
-- counted or parked field, another type, an expiry already past): the writes then take apply_entry
-- one by one.
function RUN.field_merge(ctx, db, key, ts, hs, ns, es, from, to)
  local argv = ctx.argv
  local ep = epoch_of(ctx, db)
  -- the meta fields read: '' (the key-level string), then "f", "c" and "p" of each field named
  local q, at = { '' }, {}
  local nq = 1
  for i = from, to - 1 do
    if ts[i] > ep then
      local h = hs[i]
      for a = h + 1, h + 4 * ns[i] - 3, 4 do
        local f = argv[a]
        if at[f] == nil then
          at[f] = nq + 1
          q[nq + 1], q[nq + 2], q[nq + 3] = 'f' .. f, 'c' .. f, 'p' .. f
          nq = nq + 3
        end
      end
      -- at most 1000 fields in one HMGET (three each)
      if nq > 3000 then return false end
    end
  end
  sel(ctx.N + db)
  local h = redis.pcall('HMGET', key, unpack(q))
  if type(h) ~= 'table' or h.err then return false end
  local m = parse_meta(h[1] or '')
  if next(m.cv) ~= nil then return false end
  m.kind, m.key = 'h', key
  -- st: each field's register stamp as stored, then as merged; wv: the argv index of the value
  -- written (false: none)
  local st, wv = {}, {}
  local sub = string.sub
  for f, i in pairs(at) do
    if h[i + 1] or h[i + 2] then return false end
    local r = h[i]
    if r then st[f] = sub(r, 2) end
    wv[f] = false
  end
  local order, no, touched = {}, 0, false
  local mt, md = m.t, m.d
  for i = from, to - 1 do
    local t = ts[i]
    if t > ep then
      if not ((mt and t <= mt) or (md and t <= md)) then
        local h0 = hs[i]
        for a = h0 + 1, h0 + 4 * ns[i] - 3, 4 do
          local f = argv[a]
          local s = st[f]
          if s == nil or t > s then
            st[f] = t
            if not wv[f] then
              no = no + 1
              order[no] = f
            end
            wv[f] = a + 2
            touched = true
          end
        end
      end
      if es[i] then
        touched = true
        merge_expiry(m, 0, t, false)
      end
    end
  end
  if not touched then return true end
  if m.e > 0 then
    -- an expiry already past would delete the key between the general path's steps
    local now = redis.call('TIME')
    if m.e <= tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) then return false end
  end
  sel(db)
  local present
  if no > 0 then
    local kv = {}
    for j = 1, no do
      local f = order[j]
      kv[2 * j - 1], kv[2 * j] = f, argv[wv[f]]
    end
    local r = redis.pcall('HSET', key, unpack(kv))
    if type(r) == 'table' and r.err then return false end
    present = true
  else
    present = redis.call('EXISTS', key) == 1
  end
  if present then
    if m.e > 0 then
      redis.call('PEXPIREAT', key, num(m.e))
    else
      redis.call('PERSIST', key)
    end
  end
  local fm = {}
  for j = 1, no do
    local f = order[j]
    fm[2 * j - 1], fm[2 * j] = q[at[f]], '+' .. st[f]
  end
  fm[2 * no + 1] = ''
  fm[2 * no + 2] = meta_str(m)
  sel(ctx.N + db)
  redis.call('HSET', key, unpack(fm))
  meta_ttl(m, present)
  return true
end

-- the head of the write at argv[at] of an entry ending at argv[z], "t <stamp> [b <db>] k <key>" (db:
-- the entry's db so far): its stamp, db, key and where its ops start; nil when it is not one
function RUN.write_head(argv, at, z, db)
  if argv[at] ~= 't' then return nil end
  local t = argv[at + 1]
  at = at + 2
  if argv[at] == 'b' then
    db = tonumber(argv[at + 1])
    if db == nil then return nil end
    at = at + 2
  end
  if argv[at] ~= 'k' or at + 3 > z then return nil end
  return t, db, argv[at + 1], at + 2
end

-- the tail of a write at argv[at] of an entry ending at argv[z], "[e 0]" then the entry's end or its
-- next write: whether it has "e 0", and where the next write starts; nil when it is not one
function RUN.write_tail(argv, at, z)
  local e0 = false
  if argv[at] == 'e' then
    if argv[at + 1] ~= '0' then return nil end
    e0 = true
    at = at + 2
  end
  if at <= z and argv[at] ~= 't' then return nil end
  return e0, at
end

-- applies writes from .. to - 1 of a batch read in place through apply_entry one by one, the i-th
-- (of the entry of seq seqs[i]) as the item item(i) (RUN.split's form)
function RUN.each_alone(ctx, seqs, from, to, item)
  for i = from, to - 1 do
    -- list elements it pushes take their ids from the entry
    ctx.seq = seqs[i]
    ctx.src = ctx.origin .. ':' .. string.format('%x', seqs[i])
    apply_entry(ctx, RUN.item_fields(ctx.argv, item(i)))
    ctx.seq, ctx.src = nil, nil
  end
end

-- applies the entries fresh as apply_entries would when every write in them is a counter increment
-- ("t <stamp> [b <db>] k <key> [q <epoch>] i <total> [e 0]"), reading the writes where they are in
-- argv into parallel arrays (no item per write): each run of one db (at most SET_RUN_MAX writes)
-- takes RUN.counter_merge, else apply_entry write by write. Returns false, having changed nothing,
-- for any other entry: RUN.split and apply_entries take them.
function RUN.incrs(ctx, argv, fresh)
  local w = { t = {}, key = {}, q = {}, total = {}, raw = {}, e0 = {} }
  local wt, wk, wq, wtot, wraw, we0 = w.t, w.key, w.q, w.total, w.raw, w.e0
  local dbs, seqs = {}, {}
  local n = 0
  for _, e in ipairs(fresh) do
    local at, z, db = e.from, e.to, 0
    while at <= z do
      local t, key
      t, db, key, at = RUN.write_head(argv, at, z, db)
      if t == nil then return false end
      local q = false
      if argv[at] == 'q' then
        q = argv[at + 1]
        at = at + 2
      end
      if argv[at] ~= 'i' then return false end
      local raw = argv[at + 1]
      local total = tonumber(raw)
      if total == nil then return false end
      at = at + 2
      local e0
      e0, at = RUN.write_tail(argv, at, z)
      if e0 == nil then return false end
      n = n + 1
      wt[n], wk[n], wq[n], wtot[n], wraw[n], we0[n], dbs[n], seqs[n] = t, key, q, total, raw, e0, db, e.seq
    end
  end
  local k = 1
  while k <= n do
    local db = dbs[k]
    local j = k + 1
    while j <= n and j - k < SET_RUN_MAX and dbs[j] == db do j = j + 1 end
    if not RUN.counter_merge(ctx, db, w, k, j) then
      RUN.each_alone(ctx, seqs, k, j, function(i)
        return { ctr = true, db = db, t = wt[i], key = wk[i], q = wq[i] or nil, raw = wraw[i], e0 = we0[i] }
      end)
    end
    k = j
  end
  return true
end

-- applies the entries fresh as apply_entries would when every write in them is a hash field write
-- ("t <stamp> [b <db>] k <key> h <f> w <v> ... [e 0]"), reading the writes where they are in argv
-- (no item per write): each run of writes of one key of one db (at most SET_RUN_MAX) takes
-- RUN.field_merge, else apply_entry write by write. Returns false, having changed nothing, for any
-- other entry: RUN.split and apply_entries take them.
function RUN.hashes(ctx, argv, fresh)
  local dbs, keys, ts, hs, ns, es, seqs = {}, {}, {}, {}, {}, {}, {}
  local n = 0
  for _, e in ipairs(fresh) do
    local at, z, db = e.from, e.to, 0
    while at <= z do
      local t, key
      t, db, key, at = RUN.write_head(argv, at, z, db)
      if t == nil or argv[at] ~= 'h' then return false end
      local h = at
      while argv[at] == 'h' and argv[at + 2] == 'w' do at = at + 4 end
      local e0
      e0, at = RUN.write_tail(argv, at, z)
      if e0 == nil then return false end
      n = n + 1
      dbs[n], keys[n], ts[n], hs[n], ns[n], es[n], seqs[n] = db, key, t, h, (at - h) / 4, e0, e.seq
    end
  end
  local k = 1
  while k <= n do
    local db, key = dbs[k], keys[k]
    local j = k + 1
    while j <= n and j - k < SET_RUN_MAX and dbs[j] == db and keys[j] == key do j = j + 1 end
    if not RUN.field_merge(ctx, db, key, ts, hs, ns, es, k, j) then
      RUN.each_alone(ctx, seqs, k, j, function(i)
        return { hf = true, db = db, t = ts[i], key = key, h = hs[i], n = ns[i], e0 = es[i] }
      end)
    end
    k = j
  end
  return true
end

-- applies items in order: consecutive plain sets or counter increments of one db, and consecutive
-- field writes of one hash, each as a run; anything else (or a run that cannot) one by one
local function apply_entries(ctx, argv, items)
  local k = 1
  while k <= #items do
    local first = items[k]
    local j = k + 1
    local done = false
    if first.plain or first.ctr then
      while j <= #items and j - k < SET_RUN_MAX and items[j].plain == first.plain and items[j].ctr == first.ctr
          and items[j].db == first.db do
        j = j + 1
      end
      if first.plain then
        done = apply_set_run(ctx, first.db, items, k, j)
      else
        done = RUN.counters(ctx, first.db, items, k, j)
      end
    elseif first.hf then
      while j <= #items and j - k < SET_RUN_MAX and items[j].hf and items[j].db == first.db
          and items[j].key == first.key do
        j = j + 1
      end
      done = RUN.fields(ctx, first.db, items, k, j)
    end
    if not done then
      for q = k, j - 1 do
        local it = items[q]
        if it.plain then
          apply_entry(ctx, RUN.item_fields(argv, it))
        else
          -- list elements it pushes take their ids from the entry
          ctx.seq = it.seq
          ctx.src = ctx.origin .. ':' .. string.format('%x', it.seq)
          if it.ctr or it.hf then
            apply_entry(ctx, RUN.item_fields(argv, it))
          else
            apply_entry(ctx, { unpack(argv, it.from, it.to) })
          end
          ctx.seq, ctx.src = nil, nil
        end
      end
    end
    k = j
  end
end

-- the first flush (field f) among entry fields f, whose stamp is the last t before it (st.t), that
-- flush_candidates cannot serve from the logs and that km_flushscan should go over the db for ahead
-- of it: returns its db, or nil
local function unserved_flush(ctx, f, st)
  for i = 1, #f, 2 do
    local name, v = f[i], f[i + 1]
    if name == 'm' then
      local db = unserved_flush(ctx, cmsgpack.unpack(v), st)
      if db then return db end
    elseif name == 't' then
      st.t = v
    elseif name == 'f' then
      local db = tonumber(v)
      if st.t > epoch_of(ctx, db) and scan_wanted(ctx, db, st.t) then return db end
    end
  end
  return nil
end

-- the MULTI transaction id of entry e (its field x, right after t), or nil outside MULTI
local function txn_of(argv, e)
  if argv[e.from + 2] == 'x' then return argv[e.from + 3] end
  return nil
end

--[[
km_r: FCALL km_r 0 <N> <origin> <count> { <seq> <nfields> <packed> <f1> <v1> ... } x count
Applies the entries of one origin in order, skipping seq <= km:pos[origin], and appends them to
the node's copy of that origin's log; returns km:pos[origin]. <packed> holds the entry's stamps
(its fields t, in order) as packed_form gives them, packed by the caller so that Lua need not: per
stamp one length byte, then that many bytes (0: not packed); or empty.
An entry holding a FLUSHDB whose keys to keep the logs cannot name (flush_candidates) is not applied,
nor any after it: km_r applies those before it and returns { km:pos[origin], 'scan', <db>, <stamp> },
and the caller runs km_flushscan over the db before it calls km_r again.
]]
local function km_r(_, argv)
  reset_db()
  local N = tonumber(argv[1])
  local origin = argv[2]
  local count = tonumber(argv[3])
  local fresh, items = {}, {}
  -- a flush among the entries looks at the keys the entries before it wrote (flush_candidates)
  local ctx = { N = N, origin = origin, fresh = fresh, argv = argv }
  sel(2 * N)
  local pos = tonumber(redis.call('HGET', 'km:pos', origin) or '0')
  local i = 4
  for _ = 1, count do
    local seq = tonumber(argv[i])
    local nf = tonumber(argv[i + 1])
    if seq > pos then
      -- XADD takes "<seq>" as "<seq>-0"
      local e = { id = argv[i], seq = seq, from = i + 3, to = i + 2 + 2 * nf, plain = false, p = argv[i + 2] }
      if e.p == '' then e.p = nil end
      fresh[#fresh + 1] = e
      pos = seq
    end
    i = i + 3 + 2 * nf
  end
  if #fresh == 0 then return pos end
  local scan = nil
  -- entries of plain SETs alone (the most common), of hash field writes alone or of counter
  -- increments alone are applied as they are read
  local applied = RUN.sets(ctx, argv, fresh) or RUN.hashes(ctx, argv, fresh) or RUN.incrs(ctx, argv, fresh)
  for j, e in ipairs(applied and {} or fresh) do
    -- only an entry with a flush is looked at (packed ops: when they may hold a field f, the
    -- msgpack string "f" being the bytes a1 66); plain SETs, the most common, hold none
    e.items = RUN.split(argv, e)
    local flush = false
    for q = e.from, e.items == nil and e.to or 0, 2 do
      if argv[q] == 'f' or (argv[q] == 'm' and string.find(argv[q + 1], '\161f', 1, true)) then
        flush = true
        break
      end
    end
    if flush then
      local st = { t = '' }
      local db = unserved_flush(ctx, { unpack(argv, e.from, e.to) }, st)
      if db then
        scan = { db = db, t = st.t }
        -- a transaction stays whole: its entries before the flush's wait with it
        local x = txn_of(argv, e)
        while x and j > 1 and txn_of(argv, fresh[j - 1]) == x do j = j - 1 end
        for q = #fresh, j, -1 do fresh[q] = nil end
        break
      end
    end
  end
  if #fresh > 0 then
    pos = fresh[#fresh].seq
    if not applied then
      for _, e in ipairs(fresh) do add_items(items, e) end
      apply_entries(ctx, argv, items)
    end
    sel(2 * N)
    local log = log_key(origin)
    for _, e in ipairs(fresh) do redis.call('XADD', log, e.id, unpack(argv, e.from, e.to)) end
    redis.call('HSET', 'km:pos', origin, string.format('%d', pos))
  else
    sel(2 * N)
    pos = tonumber(redis.call('HGET', 'km:pos', origin) or '0')
  end
  if scan then return { pos, 'scan', tostring(scan.db), scan.t } end
  return pos
end

--[[
km_dumpkey: FCALL km_dumpkey 0 <N> <db> <key>
Returns { <key-level metadata string>, <DUMP of the key or ''>, then for a hash, set or sorted set
merged per member: <type>, then per member <member> <'+' or '-'><stamp, or '' when the member has
counters only> <value, score or ''> <its counter vector "origin stamp total seen ...", or ''> <its own
type when it is not in the dumped value, else ''> ... }. The seen parts are what the member's register
had seen (a removed member holds the rest); one of another type than the key's has as value the one
parked behind the key's state (present members only).
]]
local function km_dumpkey(_, argv)
  reset_db()
  local N = tonumber(argv[1])
  local db = tonumber(argv[2])
  local key = argv[3]
  local m = meta_load(N + db, key)
  sel(db)
  local d = redis.call('DUMP', key) or ''
  local out = { meta_str(m), d }
  if m.kind == 'l' then
    -- a list: this node's log positions (which pushes it has seen), then its elements with their
    -- ids, in its order, instead of its DUMP
    out[2] = ''
    out[3] = 'l'
    sel(2 * N)
    out[4] = table.concat(redis.call('HGETALL', 'km:pos'), ' ')
    if list_aligned(m, db, key) then
      sel(N + db)
      local ids = redis.call('LRANGE', key, 1, -1)
      sel(db)
      local vals = redis.call('LRANGE', key, 0, -1)
      for i, id in ipairs(ids) do
        out[#out + 1] = id
        out[#out + 1] = vals[i]
      end
    end
    return out
  end
  if m.kind == 'h' then
    sel(db)
    local ty = redis.call('TYPE', key)['ok']
    out[#out + 1] = ty
    sel(N + db)
    local all = redis.call('HGETALL', key)
    local members, order, parked = {}, {}, {}
    for i = 1, #all, 2 do
      local tag, mb = string.sub(all[i], 1, 1), string.sub(all[i], 2)
      if tag == 'f' or tag == 'c' then
        if members[mb] == nil then
          members[mb] = { reg = '', cv = '' }
          order[#order + 1] = mb
        end
        if tag == 'f' then
          members[mb].reg = all[i + 1]
        else
          members[mb].ty = PARK_TYPE[string.sub(all[i + 1], 1, 1)]
          members[mb].cv = parse_vec(string.sub(all[i + 1], 3))
        end
      elseif tag == 'p' then
        parked[mb] = all[i + 1]
      end
    end
    for _, mb in ipairs(order) do
      local me, p = members[mb], parked[mb]
      local own = me.ty
      if p then own = PARK_TYPE[string.sub(p, 1, 1)] end
      out[#out + 1] = mb
      out[#out + 1] = me.reg
      if own == nil or own == ty then
        -- in the dumped value, which includes every total the member holds
        out[#out + 1] = member_value(db, key, ty, mb) or ''
        own = ''
      else
        -- not in it: the key holds another type (or nothing); a present member's value is parked
        -- (with the increments on top)
        out[#out + 1] = p and string.sub(p, 2) or ''
      end
      -- its totals and what its register had seen of them (a removed member holds the rest)
      out[#out + 1] = me.cv == '' and '' or vec_str(me.cv)
      out[#out + 1] = own
    end
    -- a stream's trim floor, newest XADD and group registers (stream.lua), as one more member of type
    -- "xstream"
    sel(N + db)
    local xc = redis.call('HGET', key, 'xc')
    local regs = STREAM.group_regs(N, db, key)
    local floor = redis.call('HGET', key, 'xm')
    if floor or xc or regs ~= '' then
      for _, v in ipairs({ floor or '', xc or '', regs, '', 'xstream' }) do out[#out + 1] = v end
    end
  end
  return out
end

-- what a shipped removal of a member had seen of its counter vector cv (parsed with seen), as the
-- vector a received removal carries; stamped '0', below every real stamp, so that merging the
-- member's totals afterwards still counts the rest on top
local function removal_seen(cv)
  local seen = {}
  for o, c in pairs(cv) do seen[o] = { st = '0', tot = c.seen } end
  return seen
end

-- records that a snapshot merged a key into user db `db` whose newest stamp is `newest` ('' for
-- none): km:snapmax keeps the newest such stamp per db (a remote flush earlier than it cannot trust
-- its logs), km:snapcount counts them (a scan ahead of a flush, km_flushscan, may have passed the key)
local function snapshot_merged(N, db, newest)
  sel(2 * N)
  local had = redis.call('HGET', 'km:snapmax', tostring(db))
  if newest ~= '' and (not had or newest > had) then
    redis.call('HSET', 'km:snapmax', tostring(db), newest)
  end
  redis.call('HINCRBY', 'km:snapcount', tostring(db), 1)
end

--[[
km_mergekey: FCALL km_mergekey 0 <N> <db> <key> <metadata> <dump> [<type> { <member> <register>
<value> <counters> <parked type> } ...]
Merges a key as returned by km_dumpkey on another node: its state at its register stamp, its
expiry register, its tombstone and its counter totals, each by its rule; then each member's
register and counter totals. A dumped value includes every total of its members, so those totals
count as seen by it and only the receiver's others stay on top. A member parked behind a state of
another type is not in the dumped value: it merges as a member of its own type (parked here too
while the key holds another).
]]
-- km_mergekey of a list: its register as a list state at its stamp, its delete, its expiry; then its
-- elements. The sender's log positions (argv[7]) and this node's say who saw which push (an id names
-- the entry that pushed it): an element here that the sender saw pushed and no longer holds was
-- removed there, and goes; one of the sender's that this node saw pushed and does not hold was
-- removed here, and stays out; the others merge like received pushes (head ones from the innermost
-- out, so that each lands at the head). Then its removed ids merge as received removals, and the
-- key remembers the sender's positions (a later replay of a push they cover changes nothing).
-- Returns the newest stamp it brought.
local function merge_list_snapshot(N, db, key, r, argv)
  local ctx = { N = N }
  if r.t then
    ctx.t = r.t
    local e = 0
    if r.et == nil then e = r.e end
    merge_key(ctx, { db = db, key = key, kind = 'L', e = e, vec = {} }, false)
  end
  if r.d then
    ctx.t = r.d
    merge_key(ctx, { db = db, key = key, kind = 'd', vec = {} }, false)
  end
  local et = r.et or r.t
  if et then
    ctx.t = et
    merge_key(ctx, { db = db, key = key, kind = 'e', e = r.e }, false)
  end
  local seen_there = parse_pos(argv[7])
  for o, q in pairs(parse_pos(r.cov)) do
    if q > (seen_there[o] or 0) then seen_there[o] = q end
  end
  sel(2 * N)
  local seen_here = parse_pos(table.concat(redis.call('HGETALL', 'km:pos'), ' '))
  local m = meta_load(N + db, key)
  for o, q in pairs(parse_pos(m.cov)) do
    if q > (seen_here[o] or 0) then seen_here[o] = q end
  end
  local there = {}
  for i = 8, #argv, 2 do there[argv[i]] = true end
  if m.kind == 'l' and list_aligned(m, db, key) then
    local gone = {}
    sel(N + db)
    for _, id in ipairs(redis.call('LRANGE', key, 1, -1)) do
      local o, q = id_source(id)
      if not there[id] and o and q <= (seen_there[o] or 0) then gone[#gone + 1] = id end
    end
    if #gone > 0 then
      list_remove_ids(m, db, key, gone)
      meta_save(m, enforce_ttl(db, key, m))
    end
  end
  local newest = max_stamp(r)
  local heads, tails = {}, {}
  for i = 8, #argv, 2 do
    if string.byte(argv[i], 1) == 104 then heads[#heads + 1] = i else tails[#tails + 1] = i end
  end
  local order = {}
  for j = #heads, 1, -1 do order[#order + 1] = heads[j] end
  for _, i in ipairs(tails) do order[#order + 1] = i end
  for _, i in ipairs(order) do
    local id = argv[i]
    local side, st = string.match(id, '^(.)(%S+)')
    if st > newest then newest = st end
    local o, q = id_source(id)
    if not (o and q <= (seen_here[o] or 0)) then
      ctx.t = st
      list_push_remote(ctx, db, key, side, { argv[i + 1] }, 0, { id })
    end
  end
  if r.x then
    local ids = {}
    for id in string.gmatch(r.x, '[^,]+') do ids[#ids + 1] = id end
    list_remove_remote(ctx, db, key, ids)
  end
  -- its newest push, also when that element is gone, and what its positions cover
  m = meta_load(N + db, key)
  if r.lt and (m.lt == nil or r.lt > m.lt) then m.lt = r.lt end
  local cov = parse_pos(m.cov)
  for o, q in pairs(seen_there) do
    if q > (cov[o] or 0) then cov[o] = q end
  end
  m.cov = pos_str(cov)
  meta_save(m, exists(db, key))
  return newest
end

local function km_mergekey(_, argv)
  reset_db()
  -- a stream's trim floor and newest XADD travel as a last member of type "xstream"
  local xstream = nil
  if #argv >= 11 and argv[#argv] == 'xstream' then
    xstream = { argv[#argv - 4], argv[#argv - 3], argv[#argv - 2] }
    argv = { unpack(argv, 1, #argv - 5) }
  end
  local N = tonumber(argv[1])
  local db = tonumber(argv[2])
  local key = argv[3]
  local r = parse_meta(argv[4] or '')
  local dump = argv[5] or ''
  if argv[6] == 'l' then
    snapshot_merged(N, db, merge_list_snapshot(N, db, key, r, argv))
    return 1
  end
  local vec = {}
  for o, c in pairs(r.cv) do vec[o] = { st = c.st, tot = c.tot } end
  local ty = argv[6]
  if ty == 'none' then ty = nil end
  -- mvec: the counted members the dumped value holds, whose totals it has seen; counted: every
  -- counted member's totals and what its register had seen, parked ones (not in the dumped value)
  -- included
  local mvec, counted = {}, {}
  for i = 7, #argv, 5 do
    local member, mty = argv[i], argv[i + 4]
    if argv[i + 3] ~= '' and (mty ~= '' or ty) then
      counted[member] = parse_vec(argv[i + 3])
      if mty == '' then mvec[member] = { ty = ty, vec = counted[member] } end
    end
  end
  local ctx = { N = N }
  -- a key with no register stamp (written member by member, or only incremented) after a flush of
  -- its db: its state, ranked below any write, would be refused as older than the flush, and its
  -- counter totals with it; its members and totals merge on their own below
  if dump ~= '' and (r.t or epoch_of(ctx, db) == '') then
    -- a hash written only field by field has no register stamp: its state ranks below any write
    ctx.t = r.t or '0'
    -- an expiry register of the state's own stamp (no separate one in the metadata) comes with the
    -- state: merged on its own after it, at the same stamp, it would not count as later
    local e = 0
    if r.et == nil then e = r.e end
    merge_key(ctx, { db = db, key = key, kind = 'r', payload = dump, e = e, vec = vec, mvec = mvec }, false)
  elseif next(vec) ~= nil then
    local m = meta_load(N + db, key)
    local before = sigma(m)
    merge_vec(m, vec, epoch_of(ctx, db))
    add_value(db, key, sigma(m) - before)
    meta_save(m, exists(db, key))
  end
  if r.d then
    ctx.t = r.d
    -- the delete carries the part of each total it had seen, not the totals the dumped value holds
    -- (it may be older than increments it never saw); so do the counted members it removed, as a
    -- received DEL carries them (their registers, at the delete's stamp, do not count as later below)
    local dmvec = {}
    for i = 7, #argv, 5 do
      local member, cv = argv[i], counted[argv[i]]
      if cv and argv[i + 1] == '-' .. r.d then
        dmvec[member] = { ty = argv[i + 4] ~= '' and argv[i + 4] or ty, vec = removal_seen(cv) }
      end
    end
    merge_key(ctx, { db = db, key = key, kind = 'd', vec = removal_seen(r.cv), mvec = dmvec }, false)
  end
  local et = r.et or r.t
  if et then
    ctx.t = et
    merge_key(ctx, { db = db, key = key, kind = 'e', e = r.e }, false)
  end
  if xstream then STREAM.merge_snapshot(ctx, db, key, xstream[1], xstream[2]) end
  for i = 7, #argv, 5 do
    local member, reg = argv[i], argv[i + 1]
    local mty = argv[i + 4]
    if mty == '' then mty = ty end
    local cv = counted[member]
    if reg ~= '' then
      ctx.t = string.sub(reg, 2)
      local v, seen = nil, cv
      if string.sub(reg, 1, 1) == '+' then v = argv[i + 2] end
      if cv and v == nil then
        -- a removal has seen only part of the totals; the rest count on top of it, below
        seen = removal_seen(cv)
      end
      merge_member(ctx, db, key, mty, member, v, false, seen)
    end
    -- totals the member register above did not bring (it lost, or there is none) count one by one
    for o, c in pairs(cv or {}) do
      merge_count({ N = N, origin = o, t = c.st }, db, key, mty, member, c.tot, false)
    end
  end
  -- a stream's consumer groups and pending entries, once its entries are in
  if xstream and xstream[3] ~= '' then STREAM.merge_group_regs(ctx, db, key, xstream[3]) end
  -- the newest stamp the key brought: a later remote flush of db need not look for it in the logs
  -- (flush_candidates), which never held the entries behind a snapshot
  local newest = max_stamp(r)
  for i = 7, #argv, 5 do
    local st = string.sub(argv[i + 1], 2)
    if st > newest then newest = st end
    for _, c in pairs(counted[argv[i]] or {}) do
      if c.st > newest then newest = c.st end
    end
  end
  snapshot_merged(N, db, newest)
  return 1
end

--[[
km_mergeflush: FCALL km_mergeflush 0 <N> <db> <stamp>
The flush epoch of user db <db> on a snapshot's sender, merged before its keys: a FLUSHDB at <stamp>
received here, when later than this node's epoch. The sender's log before the snapshot's position,
which held that FLUSHDB (or the entry that brought it), is never replayed here; without it, late
increments counted from before the flush would count here only.
]]
local function km_mergeflush(_, argv)
  reset_db()
  local ctx = { N = tonumber(argv[1]), t = argv[3] }
  local db = tonumber(argv[2])
  if ctx.t > epoch_of(ctx, db) and scan_wanted(ctx, db, ctx.t) then
    return { 0, 'scan', argv[2], ctx.t }
  end
  flush_at(ctx, db, 'ASYNC')
  return 1
end

-- the keys of db written since the positions recorded in scan state sk (the last step, or the
-- start) get the flush at t now too, and the positions move to the logs' heads: what is left for
-- the flush's own call to read is what the node logged since the last step, not since the start.
-- When the logs cannot say (a gap, or more entries than keys), the positions stay as they are.
local function catch_up(ctx, db, t, sk)
  local _, from = scan_state(ctx.N, sk)
  local keys, _, heads = keys_since(ctx, db, from)
  if not keys then return end
  for k in pairs(keys) do flush_key(ctx, db, k, t) end
  local st = {}
  for i = 1, #heads, 2 do
    st[#st + 1] = 'p:' .. heads[i]
    st[#st + 1] = heads[i + 1]
  end
  sel(2 * ctx.N)
  if #st > 0 then redis.call('HSET', sk, unpack(st)) end
end

--[[
km_flushscan: FCALL km_flushscan 0 <N> <db> <stamp> <phase> <cursor> <count>
One step of going over user db <db> ahead of a remote FLUSHDB at <stamp> that km_r or km_mergeflush
could not apply without scanning the db in one call (they answered 'scan'). Phase 'start' records
every log's position here and how many snapshot keys db merged so far (km:snapcount), under
km:fscan:<db>:<stamp>; phase 'meta' takes one SCAN step (COUNT <count>) over the db's metadata and
applies the flush to each key found (flush_key: gone, or trimmed when it holds something later);
phase 'data' one over the db's data, dropping keys without metadata. Returns { <next phase>,
<cursor> }: 'meta' or 'data' to go on from <cursor>, 'done' when the flush can be applied. Each step
is short, so clients of the node keep being served; what the flush is applied to ahead cannot
change what it leaves (a key written since the scan began is named by the entries logged since then,
which the flush itself looks at, flush_candidates), only when each key gets there.
]]
local function km_flushscan(_, argv)
  reset_db()
  local N, db, t, phase = tonumber(argv[1]), tonumber(argv[2]), argv[3], argv[4]
  local cursor, count = argv[5], tonumber(argv[6])
  if N == nil or db == nil or db < 0 or db >= N or t == nil or count == nil or cursor == nil then
    return { err = 'ERR keymesh: km_flushscan takes <N> <db> <stamp> <phase> <cursor> <count>' }
  end
  local ctx = { N = N, t = t }
  local sk = scan_key(db, t)
  if t <= epoch_of(ctx, db) then
    -- this flush or a later one is applied already
    sel(2 * N)
    redis.call('DEL', sk)
    return { 'done', '0' }
  end
  sel(2 * N)
  if phase == 'start' then
    local tries = tonumber(redis.call('HGET', sk, 'tries') or '0') + 1
    local st = { 'tries', tostring(tries), 'snaps', redis.call('HGET', 'km:snapcount', tostring(db)) or '0' }
    local pos = redis.call('HGETALL', 'km:pos')
    for i = 1, #pos, 2 do
      st[#st + 1] = 'p:' .. pos[i]
      st[#st + 1] = pos[i + 1]
    end
    redis.call('DEL', sk)
    redis.call('HSET', sk, unpack(st))
    return { 'meta', '0' }
  end
  if redis.call('EXISTS', sk) == 0 then
    return { err = 'ERR keymesh: no scan under way for this flush (start it again)' }
  end
  local step
  if phase == 'meta' then
    sel(N + db)
    step = redis.call('SCAN', cursor, 'COUNT', count)
    for _, k in ipairs(step[2]) do flush_key(ctx, db, k, t) end
    catch_up(ctx, db, t, sk)
    if step[1] == '0' then return { 'data', '0' } end
    return { 'meta', step[1] }
  elseif phase == 'data' then
    sel(db)
    step = redis.call('SCAN', cursor, 'COUNT', count)
    sel(N + db)
    local gone = {}
    for _, k in ipairs(step[2]) do
      if redis.call('EXISTS', k) == 0 then gone[#gone + 1] = k end
    end
    if #gone > 0 then
      sel(db)
      redis.call('DEL', unpack(gone))
    end
    catch_up(ctx, db, t, sk)
    if step[1] ~= '0' then return { 'data', step[1] } end
    sel(2 * N)
    redis.call('HSET', sk, 'done', '1')
    return { 'done', '0' }
  end
  return { err = 'ERR keymesh: km_flushscan phase is start, meta or data' }
end

-- km_trim: FCALL km_trim 0 <N> <origin> <seq>: drops log entries of origin up to seq
local function km_trim(_, argv)
  reset_db()
  local N = tonumber(argv[1])
  sel(2 * N)
  return redis.call('XTRIM', 'km:log:' .. argv[2], 'MINID', string.format('%d-1', tonumber(argv[3])))
end

-- km_gc: FCALL km_gc 0 <N> <stamp> <db> <cursor> <count>: one SCAN step (COUNT count) over the
-- metadata of user db <db>, dropping key and member tombstones (and metadata of absent keys) older
-- than stamp. Returns {next cursor, dropped, unreadable key ...}; a full pass ends when the cursor
-- comes back as "0". A key whose metadata the library cannot read (collecting it raises an error)
-- is skipped and named after the count, so one such key neither stops the collection of the others
-- nor goes unreported.
-- Incremental so that collecting garbage never blocks the server for long, whatever the key count.
local function km_gc(_, argv)
  reset_db()
  local N = tonumber(argv[1])
  local stamp = argv[2]
  local db = tonumber(argv[3])
  if db == nil or db < 0 or db >= N then
    return redis.error_reply('ERR keymesh: km_gc db out of range')
  end
  -- collects what km_gc drops of one metadata key k of user db (metadata in db N + db): returns how
  -- many tombstones went
  local function gc_key(N, db, k, stamp)
    local dropped = 0
    local m = meta_load(N + db, k)
    local present = exists(db, k)
    local gone = false
    if not present and max_stamp(m) < stamp then
      sel(N + db)
      redis.call('DEL', k)
      dropped = dropped + 1
      gone = true
    elseif present and m.d and m.d < stamp then
      m.d = nil
      meta_save(m, present)
      dropped = dropped + 1
    end
    if m.x and not gone then
      -- a list's removed ids whose push is older than stamp
      local keep = ','
      for id in string.gmatch(m.x, '[^,]+') do
        if id_stamp(id) >= stamp then keep = keep .. id .. ',' else dropped = dropped + 1 end
      end
      if keep == ',' then keep = nil end
      if keep ~= m.x then
        m.x = keep
        meta_save(m, present)
      end
    end
    if present and m.kind == 'h' then
      -- member tombstones of a live hash, set or sorted set
      sel(N + db)
      local all = redis.call('HGETALL', k)
      for i = 1, #all, 2 do
        local v = all[i + 1]
        if string.sub(all[i], 1, 1) == 'f' and string.sub(v, 1, 1) == '-' and string.sub(v, 2) < stamp then
          redis.call('HDEL', k, all[i])
          dropped = dropped + 1
        end
      end
    end
    return dropped
  end
  local dropped = 0
  local out = { '', 0 }
  sel(N + db)
  local step = redis.call('SCAN', argv[4], 'COUNT', argv[5])
  for _, k in ipairs(step[2]) do
    local ok, n = pcall(gc_key, N, db, k, stamp)
    if ok then
      dropped = dropped + n
    else
      out[#out + 1] = k
      reset_db()
    end
  end
  out[1], out[2] = step[1], dropped
  return out
end

--[[
km_mark: FCALL km_mark 0 <N> <reading> { <origin> <seq> } ...
Records that every entry up to <seq> in each origin's log here has stamps earlier than <reading>
(16 hex digits of HLC): the caller read km:pos, then its clock. A remote flush later than the
reading looks only at the keys of the entries after it (flush_candidates). Keeps the newest
MARKS_KEPT marks.
]]
local MARKS_KEPT = 4096
local function km_mark(_, argv)
  reset_db()
  local N = tonumber(argv[1])
  if N == nil or #argv % 2 ~= 0 or not string.find(argv[2], '^[0-9a-f]+$') or #argv[2] ~= 16 then
    return { err = 'ERR keymesh: km_mark takes <N> <reading> (16 hex digits) and <origin> <seq> pairs' }
  end
  sel(2 * N)
  redis.call('XADD', 'km:marks', 'MAXLEN', '~', MARKS_KEPT, '*', 'c', unpack(argv, 2))
  return 1
end

local function km_version()
  return KM_VERSION
end

redis.register_function('km_w', km_w)
redis.register_function('km_ws', km_ws)
redis.register_function('km_wr', km_wr)
redis.register_function('km_r', km_r)
redis.register_function('km_dumpkey', km_dumpkey)
redis.register_function('km_mergekey', km_mergekey)
redis.register_function('km_mergeflush', km_mergeflush)
redis.register_function('km_mergelib', km_mergelib)
redis.register_function('km_flushscan', km_flushscan)
redis.register_function('km_trim', km_trim)
redis.register_function('km_mark', km_mark)
redis.register_function('km_gc', km_gc)
redis.register_function{ function_name = 'km_version', callback = km_version, flags = { 'no-writes' } }
