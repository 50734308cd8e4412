-- keymesh apply library, part 3 of 5: streams merged per entry (XADD, XDEL, XTRIM).
-- Semantics: docs/design/merge.md ("Streams"). An entry is a member of its stream key, named by its
-- ID, with a register "f<id>" in the key's member metadata like a hash field's: "+<stamp>" when
-- added, "-<stamp>" when deleted (the tombstone a late XADD cannot pass). Field "xm" holds its trim
-- floors: an entry below one and older than it is dropped wherever and whenever it arrives.
-- Log ops (stream-specific names): "xa <id>" then "xv <fields, msgpack>" (an entry added),
-- "xd <id>" (an entry deleted), "xt <floor>" (trimmed below floor).

-- the part's locals live in a function of their own, since the library's main chunk may hold at most
-- 200 locals (the functions below reach the other parts' locals as upvalues)
local function stream_part()

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
  A trim at stamp t leaving the first ID F is a floor (F, t): it drops every entry below F older than
  itself (by stamp), whenever that entry arrives, as a DEL drops the writes older than itself; an
  entry added later than the trim (on another node, concurrently) survives it, also below F. The
  key's metadata keeps the floors no other one dominates (a larger F with a later stamp), field "xm"
  = "<F> <t> ...". A floor not later than the key's last whole-key write, delete or flush drops
  nothing that write did not already drop, and is left out.
  ]]
  local function floor_pairs(m)
    local out = {}
    if m.kind ~= 'h' then return out end
    sel(m.mdb)
    local v = redis.call('HGET', m.key, 'xm')
    if not v then return out end
    local whole = last_whole(m) or ''
    for id, st in string.gmatch(v, '(%S+) (%S+)') do
      if st > whole then out[#out + 1] = { id, st } end
    end
    return out
  end

  -- whether an entry id written at stamp te is dropped by one of the floors
  local function floored(pairs_, id, te)
    for _, p in ipairs(pairs_) do
      if te < p[2] and id_cmp(id, p[1]) < 0 then return true end
    end
    return false
  end

  -- the largest floor ID (nil for none): what may hold entries a floor drops is below it
  local function top_floor(pairs_)
    local f = nil
    for _, p in ipairs(pairs_) do
      if f == nil or id_cmp(p[1], f) > 0 then f = p[1] end
    end
    return f
  end

  STREAM.below_floor = function(m, id, te)
    return floored(floor_pairs(m), id, te)
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

  -- the key's metadata as a hash, its key-level part kept (in field "") when it was a string
  local function to_hash(m)
    if m.kind == 'h' then return end
    local was_string = m.kind == 's'
    meta_to_hash(m)
    if was_string then
      sel(m.mdb)
      redis.call('HSET', m.key, '', meta_str(m))
    end
  end

  local function note_created(m, t)
    to_hash(m)
    sel(m.mdb)
    local xc = redis.call('HGET', m.key, 'xc')
    if not xc or t > xc then redis.call('HSET', m.key, 'xc', t) end
  end

  STREAM.merge_add = function(ctx, db, key, id, packed)
    local had = STREAM.get(db, key, id)
    merge_member(ctx, db, key, 'stream', id, packed, false)
    if not had and STREAM.get(db, key, id) then STREAM.settle_entry_groups(ctx.N, db, key, id) end
    if ctx.t <= epoch_of(ctx, db) then return end
    local m = meta_load(ctx.N + db, key)
    if (m.t and ctx.t <= m.t) or (m.d and ctx.t <= m.d) then return end
    note_created(m, ctx.t)
    empty_stream(db, key)
    -- a stream created here has the expiry its register says, as on the node that created it
    enforce_ttl(db, key, meta_load(ctx.N + db, key))
  end

  -- after a delete at t (a DEL, or a flush, received): an XADD later than it leaves the stream
  STREAM.keep_created = function(m, db, key, t)
    if m.kind ~= 'h' then return end
    sel(m.mdb)
    local xc = redis.call('HGET', key, 'xc')
    if xc and xc > t then empty_stream(db, key) end
  end

  -- entry registers below floor go: their entries are gone for good (ids: candidates, any order)
  local function drop_registers(m, ids)
    if m.kind ~= 'h' then return end
    local gone = {}
    for _, id in ipairs(ids) do
      gone[#gone + 1] = 'f' .. id
      gone[#gone + 1] = 'p' .. id
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
  -- drops the entries of the stream key that its floors drop: below a floor and older than it (an
  -- entry without a register of its own is as old as the key's last whole-key state)
  STREAM.keep_floor = function(m, db, key)
    local fl = floor_pairs(m)
    local top = top_floor(fl)
    if top == nil then return end
    local gone = {}
    for _, id in ipairs(ids_below(db, key, top)) do
      local _, st = field_meta(m, id)
      if floored(fl, id, st or m.t or '') then gone[#gone + 1] = id end
    end
    if #gone == 0 then return end
    drop_registers(m, gone)
    xdel_all(db, key, gone)
  end

  -- merges floor `floor` of a trim at stamp ctx.t into the stream key (a remote one also drops the
  -- entries it drops here)
  local function merge_floor(ctx, db, key, floor, local_write)
    if not local_write and ctx.t <= epoch_of(ctx, db) then return end
    local m = meta_load(ctx.N + db, key)
    local whole = last_whole(m)
    if whole and ctx.t <= whole then return end
    local kept = {}
    for _, p in ipairs(floor_pairs(m)) do
      if id_cmp(p[1], floor) >= 0 and p[2] >= ctx.t then return end
      if not (id_cmp(p[1], floor) <= 0 and p[2] <= ctx.t) then kept[#kept + 1] = p end
    end
    kept[#kept + 1] = { floor, ctx.t }
    local parts = {}
    for _, p in ipairs(kept) do parts[#parts + 1] = p[1] .. ' ' .. p[2] end
    to_hash(m)
    sel(m.mdb)
    redis.call('HSET', key, 'xm', table.concat(parts, ' '))
    if not local_write then
      sel(db)
      if redis.call('TYPE', key)['ok'] == 'stream' then STREAM.keep_floor(meta_load(ctx.N + db, key), db, key) end
    end
  end


  -- a snapshot's stream facts (km_mergekey, after the key's state and before its entries): its trim
  -- floor, which only grows, and its newest XADD, which keeps the stream where no later delete is
  STREAM.merge_snapshot = function(ctx, db, key, floor, xc)
    for id, st in string.gmatch(floor, '(%S+) (%S+)') do
      merge_floor({ N = ctx.N, t = st, epochs = ctx.epochs }, db, key, id, false)
    end
    if xc ~= '' and xc > epoch_of(ctx, db) then
      local m = meta_load(ctx.N + db, key)
      if not ((m.t and xc <= m.t) or (m.d and xc <= m.d)) then
        note_created(m, xc)
        empty_stream(db, key)
        -- a stream created here has the expiry its register says, as on the node that created it
        enforce_ttl(db, key, meta_load(ctx.N + db, key))
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
  local function auto_id(stamp, origin, given, last)
    local ms
    if given == '*' then
      ms = tonumber(string.sub(stamp, 1, 12), 16) or 0
    else
      ms = tonumber(string.match(given, '^(%d+)%-%*$') or '')
      if ms == nil or #string.match(given, '^(%d+)') > 15 then return nil end
    end
    local k = 0
    for _, bound in ipairs({ last }) do
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
    local gone = {}
    for _, id in ipairs(candidates) do
      if id_cmp(id, floor) < 0 then gone[#gone + 1] = id end
    end
    drop_registers(m, gone)
    merge_floor(ctx, db, key, floor, true)
    entry_op(en, 'xt', floor)
  end

  -- a trim's stamp past the registers of the entries it may remove (candidates): a trim drops only
  -- what is older than itself on receivers, so it must be later than all it dropped here
  local function past_registers(ctx, db, key, ids)
    local m = meta_load(ctx.N + db, key)
    for _, id in ipairs(ids) do
      local _, st = field_meta(m, id)
      if st and st >= ctx.t then ctx.t = st .. '0' end
    end
  end

  -- a stamp past the key's newest key-level stamp (a write is later than what it overwrites)
  local function stream_stamp(ctx, db, key)
    local newest = max_stamp(meta_load(ctx.N + db, key))
    if newest >= ctx.t then ctx.t = newest .. '0' end
  end

  local STREAM_CMDS = {}

  -- runs a client's stream command natively on db in protocol proto (its reply as the client gets it)
  local function run_native(proto, db, name, a)
    sel(db)
    redis.setresp(proto)
    local r = redis.pcall(name, unpack(a))
    redis.setresp(2)
    return r
  end

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
    local args = { unpack(a) }
    if given ~= nil and (given == '*' or string.find(given, '^%d+%-%*$')) then
      local id = auto_id(ctx.t, ctx.origin, given, info and info['last-generated-id'] or '0-0')
      if id then args[i] = id end
    end
    local candidates = {}
    if strategy and key then candidates = trim_candidates(db, key, strategy, thr, 1) end
    local r = run_native(proto, db, name, args)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xadd') end
    if r == false or r == nil then return r end     -- NOMKSTREAM on a missing key
    stream_stamp(ctx, db, key)
    past_registers(ctx, db, key, candidates)
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
    local r = run_native(proto, db, name, a)
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
    local r = run_native(proto, db, name, a)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xtrim') end
    if strategy == 'minid' and id_canon(thr or '') and a[2] and a[3] ~= '~' then
      -- an exact MINID is exact here too (see xdel_all)
      local left = ids_below(db, a[1], id_canon(thr))
      xdel_all(db, a[1], left)
      if type(r) == 'number' then r = r + #left end
    end
    if r == 0 then return r end
    stream_stamp(ctx, db, a[1])
    past_registers(ctx, db, a[1], candidates)
    local en = entry_new(ctx.t, txn, db)
    entry_key(en, db, a[1])
    record_trim(ctx, en, db, a[1], candidates)
    log_append(ctx.N, ctx.origin, en)
    return r
  end


  --[[
  Consumer groups, merged per group and per pending entry (docs/design/merge.md, "Consumer groups").
  Metadata of the stream key: "xg<group>" = "+<stamp>" (created) or "-<stamp>" (destroyed), the later
  stamp winning; "xq<group>\0<id>" = "+<stamp> <deliveries> <consumer>" (pending, owned by consumer)
  or "-<stamp>" (acknowledged), the later stamp winning per entry. A group's last-delivered ID only
  moves forward on receivers (the largest any node reached). An entry a receiver gets below a group's
  last-delivered ID that no node delivered (it was added concurrently elsewhere) would never be
  delivered there through ">": it becomes pending under the consumer "keymesh", so that XPENDING and
  XAUTOCLAIM-based workers pick it up (at-least-once). Log ops: "xg <group>" names the group of the ops
  after it; "xgc <id>" created with that last ID, "xgd ''" destroyed, "xl <id>" last-delivered ID
  reached, "xp <id> <deliveries> <consumer>" pending, "xk <id>" acknowledged (or dropped from the
  pending list by XGROUP DELCONSUMER or XAUTOCLAIM).
  ]]
  local STRAY_CONSUMER = 'keymesh'

  local function stamp_of(reg)
    return string.match(reg, '^[+-](%S+)')
  end

  -- the groups of a stream key: name -> last-delivered ID (nil when the key holds no stream)
  local function groups_of(db, key)
    sel(db)
    local r = redis.pcall('XINFO', 'GROUPS', key)
    if type(r) ~= 'table' or r.err then return nil end
    local out = {}
    for _, g in ipairs(r) do
      local f = {}
      for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
      out[f.name] = f['last-delivered-id']
    end
    return out
  end

  -- a register not later than the key's last whole-key write, delete or flush is superseded by it
  -- (that change took the groups and pending lists with it): as if there were none
  local function live(m, reg)
    if not reg then return nil end
    local whole = last_whole(m)
    if whole and stamp_of(reg) <= whole then return nil end
    return reg
  end

  local function group_reg(m, g)
    if m.kind ~= 'h' then return nil end
    sel(m.mdb)
    return live(m, redis.call('HGET', m.key, 'xg' .. g))
  end

  local function pel_field(g, id)
    return 'xq' .. g .. '\0' .. id
  end

  local function pel_reg(m, g, id)
    if m.kind ~= 'h' then return nil end
    sel(m.mdb)
    return live(m, redis.call('HGET', m.key, pel_field(g, id)))
  end

  local function set_reg(m, field, v)
    to_hash(m)
    sel(m.mdb)
    redis.call('HSET', m.key, field, v)
  end

  -- ms since the stamp's wall-clock time: how idle a delivery made at that stamp is now
  local function idle_since(t)
    local ms = tonumber(string.sub(t, 1, 12), 16) or 0
    local now = redis.call('TIME')
    local idle = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - ms
    if idle < 0 then idle = 0 end
    return string.format('%d', idle)
  end

  -- makes the data's pending entry match its register (pending: XCLAIM ... FORCE; acked: XACK)
  local function apply_pel(db, key, g, id, reg)
    sel(db)
    if string.sub(reg, 1, 1) == '-' then
      redis.pcall('XACK', key, g, id)
      return
    end
    local st, count, consumer = string.match(reg, '^%+(%S+) (%d+) (.*)$')
    redis.pcall('XCLAIM', key, g, consumer, '0', id, 'IDLE', idle_since(st), 'RETRYCOUNT', count, 'FORCE', 'JUSTID')
  end

  -- an entry with no register of group g: pending under STRAY_CONSUMER when below the group's
  -- last-delivered ID (nobody got it through ">" and nobody will)
  local function stray(db, key, g, id)
    sel(db)
    redis.pcall('XCLAIM', key, g, STRAY_CONSUMER, '0', id, 'RETRYCOUNT', '0', 'FORCE', 'JUSTID')
  end

  -- after a receiver put entry id into the stream: each group's pending state of it
  local function settle_entry_groups(N, db, key, id)
    local gs = groups_of(db, key)
    if gs == nil or next(gs) == nil then return end
    local m = meta_load(N + db, key)
    for g, last in pairs(gs) do
      local reg = pel_reg(m, g, id)
      if reg then
        apply_pel(db, key, g, id, reg)
      elseif id_cmp(id, last) <= 0 then
        stray(db, key, g, id)
      end
    end
  end

  -- whether an op of stamp t on group g is older than the group's last create or destroy
  local function group_superseded(m, g, t)
    local reg = group_reg(m, g)
    return reg ~= nil and string.sub(reg, 1, 1) == '-' and stamp_of(reg) >= t
  end

  -- the last-delivered ID a group register ("+<stamp> <id>") holds moves forward to id
  local function note_last(m, g, id)
    local reg = group_reg(m, g)
    if reg == nil or string.sub(reg, 1, 1) ~= '+' then return end
    local st, last = string.match(reg, '^%+(%S+) ?(%S*)$')
    if last == '' or id_cmp(id, last) > 0 then set_reg(m, 'xg' .. g, '+' .. st .. ' ' .. id) end
  end

  -- merges a group's last-delivered ID reached at ctx.t: forward only; the entries it passes over that
  -- no node delivered become strays
  local function merge_last(ctx, db, key, g, id)
    local m = meta_load(ctx.N + db, key)
    if group_superseded(m, g, ctx.t) then return end
    local gs = groups_of(db, key)
    local cur = gs and gs[g]
    if cur == nil then
      -- the group's create has not arrived here yet: its register keeps the ID for it (a register
      -- of stamp "0" when there is none, which any create or destroy supersedes)
      if group_reg(m, g) == nil then set_reg(m, 'xg' .. g, '+0 ' .. id) else note_last(m, g, id) end
      return
    end
    if id_cmp(id, cur) <= 0 then return end
    note_last(m, g, id)
    sel(db)
    local passed = redis.call('XRANGE', key, '(' .. cur, id)
    redis.call('XGROUP', 'SETID', key, g, id)
    for _, e in ipairs(passed) do
      if pel_reg(m, g, e[1]) == nil then stray(db, key, g, e[1]) end
    end
  end

  -- after a whole-key change at t merged here (a DEL, a flush, a state restored): the groups created
  -- later than it come back at the last-delivered ID their register holds, and the pending entries
  -- registered later than it are put back (a DEL wipes groups with the stream)
  local function keep_groups(m, db, key, t)
    if m.kind ~= 'h' then return end
    sel(m.mdb)
    local all = redis.call('HGETALL', key)
    local later, pel = {}, {}
    for i = 1, #all, 2 do
      local f, v = all[i], all[i + 1]
      local tag = string.sub(f, 1, 2)
      if tag == 'xg' and string.sub(v, 1, 1) == '+' then
        local st, last = string.match(v, '^%+(%S+) ?(%S*)$')
        if st > t then later[string.sub(f, 3)] = last ~= '' and last or '0-0' end
      elseif tag == 'xq' and stamp_of(v) > t then
        local g, id = string.match(f, '^xq(.*)%z(%S+)$')
        if g then pel[#pel + 1] = { g, id, v } end
      end
    end
    if next(later) == nil and #pel == 0 then return end
    sel(db)
    local ty = redis.call('TYPE', key)['ok']
    if ty ~= 'none' and ty ~= 'stream' then return end
    local gs = groups_of(db, key) or {}
    for g, last in pairs(later) do
      sel(db)
      if gs[g] == nil then
        redis.pcall('XGROUP', 'CREATE', key, g, last, 'MKSTREAM')
      elseif id_cmp(last, gs[g]) > 0 then
        redis.pcall('XGROUP', 'SETID', key, g, last)
      end
    end
    for _, p in ipairs(pel) do apply_pel(db, key, p[1], p[2], p[3]) end
  end

  -- km_dumpkey: the stream's group and pending-entry registers, msgpack-packed ('' for none)
  STREAM.group_regs = function(N, db, key)
    local m = meta_load(N + db, key)
    if m.kind ~= 'h' then return '' end
    sel(m.mdb)
    local all = redis.call('HGETALL', key)
    local out = {}
    for i = 1, #all, 2 do
      local tag = string.sub(all[i], 1, 2)
      if tag == 'xg' or tag == 'xq' then
        out[#out + 1] = all[i]
        out[#out + 1] = all[i + 1]
      end
    end
    if #out == 0 then return '' end
    return cmsgpack.pack(out)
  end

  -- km_mergekey: the registers group_regs shipped, merged as the ops that wrote them (groups first)
  STREAM.merge_group_regs = function(ctx, db, key, regs)
    local all = cmsgpack.unpack(regs)
    for pass = 1, 2 do
      for i = 1, #all, 2 do
        local f, v = all[i], all[i + 1]
        local st = stamp_of(v)
        local c = { N = ctx.N, t = st, epochs = ctx.epochs }
        if pass == 1 and string.sub(f, 1, 2) == 'xg' then
          local last = string.match(v, '^%+%S+ (%S+)$')
          if string.sub(v, 1, 1) == '+' then
            STREAM.merge_group(c, db, key, string.sub(f, 3), 'xgc', last or '0-0')
          else
            STREAM.merge_group(c, db, key, string.sub(f, 3), 'xgd', '')
          end
        elseif pass == 2 and string.sub(f, 1, 2) == 'xq' then
          local g, id = string.match(f, '^xq(.*)%z(%S+)$')
          if string.sub(v, 1, 1) == '+' then
            STREAM.merge_group(c, db, key, g, 'xp', id .. ' ' .. string.match(v, '^%+%S+ (.*)$'))
          else
            STREAM.merge_group(c, db, key, g, 'xk', id)
          end
        end
      end
    end
  end

  STREAM.after_whole = function(N, m, db, key, t, kind)
    if kind == 'd' then STREAM.keep_created(m, db, key, t) end
    keep_groups(m, db, key, t)
    if kind == 'r' then
      -- a trim later than the state drops the state's entries below its floor (they are as old as it)
      STREAM.keep_floor({ kind = m.kind, mdb = m.mdb, key = m.key, t = t, cv = {} }, db, key)
    end
  end

  -- puts group g's pending-entry registers into its pending list (after the group was created here)
  local function apply_group_pel(m, db, key, g)
    if m.kind ~= 'h' then return end
    sel(m.mdb)
    local all = redis.call('HGETALL', m.key)
    local prefix = 'xq' .. g .. '\0'
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, #prefix) == prefix then
        apply_pel(db, key, g, string.sub(all[i], #prefix + 1), all[i + 1])
      end
    end
  end

  -- drops every pending register of group g
  local function drop_pel_regs(m, g)
    if m.kind ~= 'h' then return end
    sel(m.mdb)
    local all = redis.call('HKEYS', m.key)
    local prefix = 'xq' .. g .. '\0'
    local gone = {}
    for _, f in ipairs(all) do
      if string.sub(f, 1, #prefix) == prefix then gone[#gone + 1] = f end
    end
    for i = 1, #gone, 1000 do redis.call('HDEL', m.key, unpack(gone, i, math.min(i + 999, #gone))) end
  end

  -- a received group op (name: xgc, xgd, xl, xp, xk) of stamp ctx.t on group g of the stream key
  STREAM.merge_group = function(ctx, db, key, g, name, v)
    if ctx.t <= epoch_of(ctx, db) then return end
    local m = meta_load(ctx.N + db, key)
    if (m.t and ctx.t <= m.t) or (m.d and ctx.t <= m.d) then return end
    if name == 'xgc' then
      local reg = group_reg(m, g)
      if reg and stamp_of(reg) >= ctx.t then
        if string.sub(reg, 1, 1) == '-' then return end
        note_last(m, g, v)
      else
        -- the farthest ID of the group known here (deliveries may have come before the create)
        local known = reg and string.sub(reg, 1, 1) == '+' and string.match(reg, '^%+%S+ (%S+)$')
        if known and id_cmp(known, v) > 0 then v = known end
        set_reg(m, 'xg' .. g, '+' .. ctx.t .. ' ' .. v)
      end
      local gs = groups_of(db, key)
      if gs == nil or gs[g] == nil then
        local at = string.match(group_reg(m, g), '^%+%S+ (%S+)$') or v
        sel(db)
        if redis.call('TYPE', key)['ok'] == 'none' then note_created(m, ctx.t) end
        sel(db)
        redis.pcall('XGROUP', 'CREATE', key, g, at, 'MKSTREAM')
        -- a stream created here has the expiry its register says, as on the node that created it
        enforce_ttl(db, key, meta_load(ctx.N + db, key))
        -- deliveries, claims and acks that arrived before the create
        apply_group_pel(m, db, key, g)
      else
        merge_last(ctx, db, key, g, v)
      end
    elseif name == 'xgd' then
      local reg = group_reg(m, g)
      if reg and stamp_of(reg) >= ctx.t then return end
      set_reg(m, 'xg' .. g, '-' .. ctx.t)
      drop_pel_regs(m, g)
      sel(db)
      redis.pcall('XGROUP', 'DESTROY', key, g)
    elseif name == 'xl' then
      merge_last(ctx, db, key, g, v)
    else
      if group_superseded(m, g, ctx.t) then return end
      local id, reg = v, '-' .. ctx.t
      if name == 'xp' then
        local rest
        id, rest = string.match(v, '^(%S+) (.*)$')
        reg = '+' .. ctx.t .. ' ' .. rest
      end
      local cur = pel_reg(m, g, id)
      if cur and stamp_of(cur) >= ctx.t then return end
      set_reg(m, pel_field(g, id), reg)
      apply_pel(db, key, g, id, reg)
    end
  end

  -- the local side: a group op logged in entry en (and its register merged here)
  local function log_group(en, g)
    if en.group ~= g then
      entry_op(en, 'xg', g)
      en.group = g
    end
  end

  local function log_pending(ctx, en, db, key, g, ids)
    local m = meta_load(ctx.N + db, key)
    sel(db)
    for _, id in ipairs(ids) do
      local p = redis.call('XPENDING', key, g, id, id, 1)[1]
      local v
      if p then
        v = id .. ' ' .. string.format('%d', p[4]) .. ' ' .. p[2]
        set_reg(m, pel_field(g, id), '+' .. ctx.t .. ' ' .. string.format('%d', p[4]) .. ' ' .. p[2])
        log_group(en, g)
        entry_op(en, 'xp', v)
      end
      sel(db)
    end
  end

  local function log_acks(ctx, en, db, key, g, ids)
    local m = meta_load(ctx.N + db, key)
    for _, id in ipairs(ids) do
      set_reg(m, pel_field(g, id), '-' .. ctx.t)
      log_group(en, g)
      entry_op(en, 'xk', id)
    end
  end

  local function log_last(ctx, en, db, key, g)
    local gs = groups_of(db, key)
    if gs and gs[g] then
      note_last(meta_load(ctx.N + db, key), g, gs[g])
      log_group(en, g)
      entry_op(en, 'xl', gs[g])
    end
  end

  -- a new entry for ops on the stream key, its stamp past the key's newest key-level stamp and, for
  -- ops on group g's entries ids, past their registers (a write is later than what it overwrites)
  local function new_entry(ctx, txn, db, key, g, ids)
    stream_stamp(ctx, db, key)
    if g then
      local m = meta_load(ctx.N + db, key)
      local newest = ''
      local reg = group_reg(m, g)
      if reg then newest = stamp_of(reg) end
      for _, id in ipairs(ids or {}) do
        local r = pel_reg(m, g, id)
        if r and stamp_of(r) > newest then newest = stamp_of(r) end
      end
      if newest >= ctx.t then ctx.t = newest .. '0' end
    end
    local en = entry_new(ctx.t, txn, db)
    entry_key(en, db, key)
    en.base = #en.f
    return en
  end

  -- the IDs of a list of entries as a reply gives them ([id, fields] each, or ids with JUSTID)
  local function reply_ids(list)
    local ids = {}
    for _, e in ipairs(list or {}) do
      if type(e) == 'table' then ids[#ids + 1] = e[1] else ids[#ids + 1] = e end
    end
    return ids
  end

  local XGROUP = {}

  XGROUP.create = function(ctx, proto, db, name, a, txn)
    local key, g = a[2], a[3]
    local existed = key and exists(db, key)
    local r = run_native(proto, db, name, a)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xgroup') end
    local en = new_entry(ctx, txn, db, key, g)
    local m = meta_load(ctx.N + db, key)
    local last = groups_of(db, key)[g]
    set_reg(m, 'xg' .. g, '+' .. ctx.t .. ' ' .. last)
    log_group(en, g)
    entry_op(en, 'xgc', last)
    if not existed then
      note_created(meta_load(ctx.N + db, key), ctx.t)
      merge_key(ctx, { db = db, key = key, kind = 'e', e = 0 }, true)
      entry_op(en, 'e', '0')
    end
    log_append(ctx.N, ctx.origin, en)
    return r
  end

  XGROUP.setid = function(ctx, proto, db, name, a, txn)
    local r = run_native(proto, db, name, a)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xgroup') end
    local en = new_entry(ctx, txn, db, a[2])
    log_last(ctx, en, db, a[2], a[3])
    log_append(ctx.N, ctx.origin, en)
    return r
  end

  XGROUP.destroy = function(ctx, proto, db, name, a, txn)
    local r = run_native(proto, db, name, a)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xgroup') end
    if r == 0 then return r end
    local en = new_entry(ctx, txn, db, a[2], a[3])
    local m = meta_load(ctx.N + db, a[2])
    set_reg(m, 'xg' .. a[3], '-' .. ctx.t)
    drop_pel_regs(m, a[3])
    log_group(en, a[3])
    entry_op(en, 'xgd', '')
    log_append(ctx.N, ctx.origin, en)
    return r
  end

  -- the consumer's pending entries leave the group's pending list: replicated as acknowledgements
  XGROUP.delconsumer = function(ctx, proto, db, name, a, txn)
    local key, g, c = a[2], a[3], a[4]
    local ids = {}
    if key and g and c then
      sel(db)
      local p = redis.pcall('XPENDING', key, g, '-', '+', '1000000000', c)
      if type(p) == 'table' and not p.err then ids = reply_ids(p) end
    end
    local r = run_native(proto, db, name, a)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xgroup') end
    if #ids == 0 then return r end
    local en = new_entry(ctx, txn, db, key, g, ids)
    log_acks(ctx, en, db, key, g, ids)
    log_append(ctx.N, ctx.origin, en)
    return r
  end

  -- XGROUP CREATECONSUMER (and HELP, unknown subcommands): this node only; a consumer exists where it
  -- reads, claims or was created
  STREAM_CMDS.xgroup = function(ctx, proto, db, name, a, txn)
    local sub = XGROUP[string.lower(a[1])]
    if sub == nil or a[2] == nil or a[3] == nil then
      local r = run_native(proto, db, name, a)
      if type(r) == 'table' and r.err then return arity_fix(r, 'xgroup') end
      return r
    end
    return sub(ctx, proto, db, name, a, txn)
  end

  -- the deliveries of one XREADGROUP (or of one that blocked, KM.XDELIVERED): per key the IDs it
  -- delivered; `fresh` when read with ">" (the group's last-delivered ID moved), `noack` with NOACK
  local function log_deliveries(ctx, txn, db, key, g, ids, fresh, noack)
    if #ids == 0 then return end
    local en = new_entry(ctx, txn, db, key, g, ids)
    if not noack then log_pending(ctx, en, db, key, g, ids) end
    if fresh then log_last(ctx, en, db, key, g) end
    if #en.f > en.base then log_append(ctx.N, ctx.origin, en) end
  end

  -- XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ...
  STREAM_CMDS.xreadgroup = function(ctx, proto, db, name, a, txn)
    local r = run_native(proto, db, name, a)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xreadgroup') end
    if r == false or r == nil then return r end
    local g, noack, at = a[2], false, nil
    for i = 4, #a do
      local o = string.lower(a[i])
      if o == 'noack' then noack = true end
      if o == 'streams' then
        at = i
        break
      end
    end
    if at == nil then return r end
    local n = math.floor((#a - at) / 2)
    local fresh = {}
    for i = 1, n do fresh[a[at + i]] = a[at + n + i] == '>' end
    -- RESP2: [[key, entries] ...]; RESP3: a map key -> entries
    local per = {}
    if r.map then
      for k, v in pairs(r.map) do per[#per + 1] = { k, v } end
    else
      for _, kv in ipairs(r) do per[#per + 1] = kv end
    end
    for _, kv in ipairs(per) do
      log_deliveries(ctx, txn, db, kv[1], g, reply_ids(kv[2]), fresh[kv[1]], noack)
    end
    return r
  end

  -- KM.XDELIVERED key group consumer <fresh 0|1> <noack 0|1> id ...: what an XREADGROUP ... BLOCK
  -- that ran natively delivered from key (the proxy reads it from the reply)
  STREAM_CMDS['km.xdelivered'] = function(ctx, proto, db, name, a, txn)
    if #a < 5 then return { err = "ERR wrong number of arguments for 'km.xdelivered' command" } end
    log_deliveries(ctx, txn, db, a[1], a[2], { unpack(a, 6) }, a[4] == '1', a[5] == '1')
    return { ok = 'OK' }
  end

  -- XACK key g id ...: each ID's acknowledgement is logged (also of an entry not pending here: it may
  -- be pending on the node that delivered it)
  STREAM_CMDS.xack = function(ctx, proto, db, name, a, txn)
    local r = run_native(proto, db, name, a)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xack') end
    local gs = groups_of(db, a[1])
    if gs == nil or a[2] == nil or gs[a[2]] == nil then return r end
    local ids, seen = {}, {}
    for i = 3, #a do
      local id = id_canon(a[i])
      if id and not seen[id] then
        seen[id] = true
        ids[#ids + 1] = id
      end
    end
    if #ids == 0 then return r end
    local en = new_entry(ctx, txn, db, a[1], a[2], ids)
    log_acks(ctx, en, db, a[1], a[2], ids)
    log_append(ctx.N, ctx.origin, en)
    return r
  end

  -- XCLAIM key g consumer min-idle id ... [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]
  STREAM_CMDS.xclaim = function(ctx, proto, db, name, a, txn)
    local r = run_native(proto, db, name, a)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xclaim') end
    local ids = reply_ids(r)
    local lastid = false
    for i = 5, #a do
      if string.lower(a[i]) == 'lastid' then lastid = true end
    end
    if #ids == 0 and not lastid then return r end
    local en = new_entry(ctx, txn, db, a[1], a[2], ids)
    log_pending(ctx, en, db, a[1], a[2], ids)
    if lastid then log_last(ctx, en, db, a[1], a[2]) end
    if #en.f > en.base then log_append(ctx.N, ctx.origin, en) end
    return r
  end

  -- XAUTOCLAIM key g consumer min-idle start [COUNT n] [JUSTID]: [cursor, claimed, deleted IDs]
  STREAM_CMDS.xautoclaim = function(ctx, proto, db, name, a, txn)
    local r = run_native(proto, db, name, a)
    if type(r) == 'table' and r.err then return arity_fix(r, 'xautoclaim') end
    local claimed, deleted = reply_ids(r[2]), reply_ids(r[3])
    if #claimed == 0 and #deleted == 0 then return r end
    local all = { unpack(claimed) }
    for _, id in ipairs(deleted) do all[#all + 1] = id end
    local en = new_entry(ctx, txn, db, a[1], a[2], all)
    log_pending(ctx, en, db, a[1], a[2], claimed)
    log_acks(ctx, en, db, a[1], a[2], deleted)
    log_append(ctx.N, ctx.origin, en)
    return r
  end

  STREAM.cmds = STREAM_CMDS
  STREAM.settle_entry_groups = settle_entry_groups
  STREAM.merge_floor = merge_floor
end
stream_part()
