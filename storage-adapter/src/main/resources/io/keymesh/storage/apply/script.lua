-- keymesh apply library, part 4 of 5: clients' scripts (EVAL, EVALSHA, SCRIPT LOAD/EXISTS/FLUSH)
-- and functions (FCALL, FCALL_RO, and the record of FUNCTION LOAD/DELETE/FLUSH) run inside km_w,
-- so that every write a script or function makes is merged and logged like a client's write.
--
-- A script's source is compiled here with loadstring, once per SHA1, and run with its own `redis`,
-- KEYS and ARGV as locals of the chunk: `redis.call` and `redis.pcall` of a write command go through
-- write_cmd (each write merged at the script's stamp and logged under one transaction id, so
-- receivers apply the script's effects as one unit); reads run natively in the script's database.
-- Keys are whatever the script names, declared in KEYS or not: every key it writes is replicated.
-- The compiled scripts live in this Lua state (the functions engine's), as Redis keeps EVAL's
-- script cache: they last until the library is loaded again (keymesh or redis-server restarts),
-- and a client that gets NOSCRIPT sends EVAL, as with Redis.

-- what remote.lua uses of this part; the rest stays inside the block below, since a Lua function
-- (the library's main chunk included) holds at most 200 locals at once
local fn_record, km_mergelib
do
  local SCRIPTS = {}          -- sha1 -> { run = compiled chunk, ro = flagged no-writes }
  local WRITES = {}           -- command name (or "name|sub") -> true for a write, false otherwise
  local NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.'
  local RO_WRITE = 'ERR Write commands are not allowed from read-only scripts.'

  -- the call under way: proto, db, N, origin, stamp, txn (km_w's header), ro, resp (the script's
  -- redis.setresp); one at a time, since Redis runs one function call at a time
  local run = nil

  -- whether command `cmd` (lower case) with first argument `sub` writes, by the server's own flags
  local function writes(cmd, sub)
    local w = WRITES[cmd]
    if w == nil then
      local info = redis.call('COMMAND', 'INFO', cmd)[1]
      if not info then return false end          -- unknown: Redis' own error when it runs
      w = false
      if info[10] and #info[10] > 0 then
        w = 'sub'                                 -- a container: the subcommand's flags decide
      else
        for _, f in ipairs(info[3]) do
          if f.ok == 'write' then w = true end
        end
      end
      WRITES[cmd] = w
    end
    if w ~= 'sub' then return w end
    if sub == nil then return false end
    return writes(cmd .. '|' .. string.lower(sub))
  end

  -- logs a script's PUBLISH (SPUBLISH: sharded) of message on channel as an entry of the script's
  -- own (ops P or S <channel>, M <message>): every node that applies it publishes it to its own
  -- subscribers, so a lock's unlock notice made by a script wakes waiters on every node
  local function pub_log(r, sharded, channel, message)
    local en = entry_new(r.stamp, r.txn, 0)
    entry_op(en, sharded and 'S' or 'P', channel)
    entry_op(en, 'M', message)
    log_append(r.N, r.origin, en)
  end

  -- redis.call / redis.pcall as a script sees them (protected: pcall's way of answering errors)
  local function script_call(protected, name, ...)
    local r = run
    local cmd = string.lower(tostring(name))
    local res
    if cmd == 'select' then
      local d, err = check_db(select(1, ...), r.N)
      if err then
        res = err
      else
        r.db = d
        sel(d)
        res = { ok = 'OK' }
      end
    elseif (cmd == 'publish' or cmd == 'spublish') and select('#', ...) == 2 then
      if r.ro then
        res = { err = RO_WRITE }               -- as in Redis: PUBLISH may replicate
      else
        sel(r.db)
        res = redis.pcall(name, ...)
        if not (type(res) == 'table' and res.err) then pub_log(r, cmd == 'spublish', ...) end
      end
    elseif writes(cmd, (select(1, ...))) then
      if r.ro then
        res = { err = RO_WRITE }
      else
        sel(r.db)
        res = write_cmd(r.resp, r.db, r.N, r.origin, r.stamp, r.txn, name, { ... })
        sel(r.db)
      end
    else
      sel(r.db)
      if r.resp ~= 2 then redis.setresp(r.resp) end
      res = redis.pcall(name, ...)
      if r.resp ~= 2 then redis.setresp(2) end
    end
    if not protected and type(res) == 'table' and res.err then error(res) end
    return res
  end

  -- the `redis` a script sees: the server's, with call, pcall and setresp of its own (made at the
  -- first script: while the library loads, setmetatable is out of reach)
  local script_redis = nil
  local function scripts_redis()
    if script_redis == nil then
      script_redis = setmetatable({
        call = function(...) return script_call(false, ...) end,
        pcall = function(...) return script_call(true, ...) end,
        setresp = function(v)
          if v ~= 2 and v ~= 3 then error('RESP version must be 2 or 3.') end
          run.resp = v
        end,
      }, { __index = redis })
    end
    return script_redis
  end

  -- compiles a script's source: a shebang line ("#!lua flags=no-writes,...") is replaced by the
  -- locals the chunk sees, so line numbers in errors stay the script's own
  local function compile(body)
    local ro = false
    local src = body
    if string.sub(body, 1, 2) == '#!' then
      local nl = string.find(body, '\n', 1, true)
      local line = nl and string.sub(body, 3, nl - 1) or string.sub(body, 3)
      local engine = string.match(line, '^(%S+)')
      if engine ~= 'lua' then
        return nil, { err = "ERR Could not find engine '" .. tostring(engine) .. "'" }
      end
      local flags = string.match(line, 'flags=(%S*)') or ''
      for f in string.gmatch(flags, '[^,]+') do
        if f == 'no-writes' then ro = true end
      end
      src = nl and string.sub(body, nl) or ''
    end
    local chunk, err = loadstring('local redis, KEYS, ARGV = ...; ' .. src, '@user_script')
    if not chunk then
      return nil, { err = 'ERR Error compiling script (new function): ' .. tostring(err) }
    end
    return { run = chunk, ro = ro }
  end

  local function load_script(body)
    local sha = redis.sha1hex(body)
    local s = SCRIPTS[sha]
    if s == nil then
      local err
      s, err = compile(body)
      if not s then return nil, nil, err end
      SCRIPTS[sha] = s
    end
    return s, sha
  end

  -- runs script s (its chunk run(redis, keys, args), ro) with numkeys, keys and args from a[from..];
  -- ro: run as a read-only variant
  local function run_script(call, s, a, from, ro)
    local nk = tonumber(a[from])
    if nk == nil or nk ~= math.floor(nk) then return { err = 'ERR value is not an integer or out of range' } end
    if nk < 0 then return { err = "ERR Number of keys can't be negative" } end
    if nk > #a - from then return { err = "ERR Number of keys can't be greater than number of args" } end
    local keys, args = {}, {}
    for i = from + 1, from + nk do keys[#keys + 1] = a[i] end
    for i = from + nk + 1, #a do args[#args + 1] = a[i] end
    -- one transaction id for all of the script's entries: MULTI's, or the script's own stamp's HLC
    local txn = call.txn
    if txn == '0' then txn = string.sub(call.stamp, 1, 16) end
    run = { proto = call.proto, db = call.db, N = call.N, origin = call.origin, stamp = call.stamp,
            txn = txn, ro = ro or s.ro, resp = 2 }
    sel(call.db)
    local res = s.run(scripts_redis(), keys, args)
    sel(run.db)
    run = nil
    return res
  end

  local function eval(call, a, ro)
    if a[1] == nil or a[2] == nil then return { err = "ERR wrong number of arguments for 'eval' command" } end
    local s, _, err = load_script(a[1])
    if not s then return err end
    return run_script(call, s, a, 2, ro)
  end

  local function evalsha(call, a, ro)
    if a[1] == nil or a[2] == nil then return { err = "ERR wrong number of arguments for 'evalsha' command" } end
    local s = SCRIPTS[string.lower(a[1])]
    if not s then return { err = NOSCRIPT } end
    return run_script(call, s, a, 2, ro)
  end

  -- SCRIPT LOAD | EXISTS | FLUSH over this library's cache (KILL and the others never come here)
  local function script(_, a)
    local sub = string.lower(a[1] or '')
    if sub == 'load' and #a == 2 then
      local _, sha, err = load_script(a[2])
      if err then return err end
      return sha
    elseif sub == 'exists' and #a >= 2 then
      local out = {}
      for i = 2, #a do out[#out + 1] = SCRIPTS[string.lower(a[i])] and 1 or 0 end
      return out
    elseif sub == 'flush' and #a <= 2 then
      local mode = a[2] and string.lower(a[2])
      if mode and mode ~= 'async' and mode ~= 'sync' then
        return { err = 'ERR SCRIPT FLUSH only support SYNC|ASYNC option' }
      end
      SCRIPTS = {}
      return { ok = 'OK' }
    end
    return { err = "ERR unknown subcommand or wrong number of arguments for '" .. tostring(a[1]) .. "'. Try SCRIPT HELP." }
  end

  SCRIPTING.eval = function(call, a) return eval(call, a, false) end
  SCRIPTING.eval_ro = function(call, a) return eval(call, a, true) end
  SCRIPTING.evalsha = function(call, a) return evalsha(call, a, false) end
  SCRIPTING.evalsha_ro = function(call, a) return evalsha(call, a, true) end
  SCRIPTING.script = script

  --[[
  User function libraries. A library a client loads with FUNCTION LOAD is checked and recorded here by
  km_w's FUNCTION LOAD, then loaded natively too (so FUNCTION LIST, DUMP and STATS show it):
  km:libs in db 2N maps its name to "<stamp> <code>" (a deleted library: "<stamp>" alone), km:libver
  counts the changes, and the change is logged (ops F <name> L <code>, L '' for a delete), so every
  node and replica records it too, the later stamp winning per library. FCALL runs a library's
  function from km:libs, compiled here (once per code) with the `redis` scripts get, so its writes are
  replicated like a script's; the housekeeping of every node loads and deletes libraries natively to
  match km:libs (FunctionSync).
  ]]
  local LIB_CACHE = {}                 -- code sha1 -> the functions it registers
  local FNS = { ver = nil, byname = {} }

  -- the functions library code registers, { name, cb, ro } each; or nil and Redis' error for a
  -- library FUNCTION LOAD would refuse
  local function load_lib(code)
    local sha = redis.sha1hex(code)
    local reg = LIB_CACHE[sha]
    if reg then return reg end
    local line = string.match(code, '^#!([^\n]*)')
    if not line then return nil, { err = 'ERR Missing library metadata' } end
    local engine = string.match(line, '^(%S+)')
    if engine ~= 'lua' then return nil, { err = "ERR Engine '" .. tostring(engine) .. "' not found" } end
    if not string.match(line, 'name=(%S+)') then return nil, { err = 'ERR Library name was not given' } end
    local nl = string.find(code, '\n', 1, true)
    local chunk, err = loadstring('local redis = ...; ' .. (nl and string.sub(code, nl) or ''), '@user_function')
    if not chunk then return nil, { err = 'ERR Error compiling function: ' .. tostring(err) } end
    reg = {}
    local names = {}
    local loader = setmetatable({
      register_function = function(a, b)
        local f = { ro = false }
        if type(a) == 'table' then
          f.name, f.cb = a.function_name, a.callback
          for _, flag in ipairs(a.flags or {}) do
            if flag == 'no-writes' then f.ro = true end
          end
        else
          f.name, f.cb = a, b
        end
        if type(f.name) ~= 'string' or type(f.cb) ~= 'function' then
          error('wrong arguments given to redis.register_function')
        end
        if names[f.name] then error({ err = 'ERR Function already exists in the library' }) end
        names[f.name] = true
        reg[#reg + 1] = f
      end,
    }, { __index = scripts_redis() })
    local ok, e = pcall(chunk, loader)
    if not ok then
      if type(e) == 'table' then e = e.err end
      return nil, { err = 'ERR Error registering functions: ' .. tostring(e) }
    end
    if #reg == 0 then return nil, { err = 'ERR No functions registered' } end
    LIB_CACHE[sha] = reg
    return reg
  end

  -- function name -> { name, cb, ro }, from the libraries in km:libs (worked out again when it changed)
  local function functions(N)
    sel(2 * N)
    local ver = redis.call('GET', 'km:libver') or '0'
    if FNS.ver ~= ver then
      local byname = {}
      local flat = redis.call('HGETALL', 'km:libs')
      for i = 1, #flat, 2 do
        local sp = string.find(flat[i + 1], ' ', 1, true)
        if sp then
          for _, f in ipairs(load_lib(string.sub(flat[i + 1], sp + 1)) or {}) do byname[f.name] = f end
        end
      end
      FNS.ver, FNS.byname = ver, byname
    end
    return FNS.byname
  end

  local function fcall(call, a, ro)
    if a[1] == nil or a[2] == nil then return { err = "ERR wrong number of arguments for 'fcall' command" } end
    local f = functions(call.N)[a[1]]
    if not f then return { err = 'ERR Function not found' } end
    if ro and not f.ro then return { err = 'ERR Can not execute a script with write flag using *_ro command.' } end
    return run_script(call, { run = function(_, keys, args) return f.cb(keys, args) end, ro = f.ro }, a, 2, ro)
  end

  -- records library `name` as `code` ('' for deleted) at stamp t when t is later than what km:libs
  -- holds for it (db 2N selected by the caller or not: selects it); true when it changed
  fn_record = function(N, name, code, t)
    sel(2 * N)
    local cur = redis.call('HGET', 'km:libs', name)
    if cur then
      local sp = string.find(cur, ' ', 1, true)
      local st = sp and string.sub(cur, 1, sp - 1) or cur
      if st >= t then return false end
      if sp and string.sub(cur, sp + 1) == code then return false end
      if not sp and code == '' then return false end
    elseif code == '' then
      return false
    end
    redis.call('HSET', 'km:libs', name, code == '' and t or (t .. ' ' .. code))
    redis.call('INCR', 'km:libver')
    return true
  end

  -- the library name a FUNCTION LOAD code names in its shebang ("#!lua name=<lib>")
  local function lib_name(code)
    local line = string.match(code, '^#!([^\n]*)')
    return line and string.match(line, 'name=(%S+)')
  end

  local function fn_log(call, name, code)
    local en = entry_new(call.stamp, call.txn, 0)
    entry_op(en, 'F', name)
    entry_op(en, 'L', code)
    log_append(call.N, call.origin, en)
  end

  -- km_w's FUNCTION: LOAD [REPLACE] <code> checks the library as Redis would and records it, DELETE
  -- <name> records its deletion, FLUSH records every library as deleted and returns their names; the
  -- caller then makes the same change natively (CommandDispatcher.mirrorLibraries)
  local function function_cmd(call, a)
    local sub = string.lower(a[1] or '')
    if sub == 'load' and a[2] then
      local code = a[#a]
      local replace = #a == 3 and string.lower(a[2]) == 'replace'
      if #a > 3 or (#a == 3 and not replace) then return { err = "ERR Unknown option given: " .. a[2] } end
      local reg, err = load_lib(code)
      if not reg then return err end
      local name = lib_name(code)
      sel(2 * call.N)
      local cur = redis.call('HGET', 'km:libs', name)
      if cur and string.find(cur, ' ', 1, true) and not replace then
        return { err = "ERR Library '" .. name .. "' already exists" }
      end
      -- a function name another library registers
      sel(2 * call.N)
      local flat = redis.call('HGETALL', 'km:libs')
      for i = 1, #flat, 2 do
        local sp = string.find(flat[i + 1], ' ', 1, true)
        if flat[i] ~= name and sp then
          for _, other in ipairs(load_lib(string.sub(flat[i + 1], sp + 1)) or {}) do
            for _, f in ipairs(reg) do
              if f.name == other.name then return { err = 'ERR Function ' .. f.name .. ' already exists' } end
            end
          end
        end
      end
      if fn_record(call.N, name, code, call.stamp) then fn_log(call, name, code) end
      return name
    elseif sub == 'delete' and #a == 2 then
      sel(2 * call.N)
      local cur = redis.call('HGET', 'km:libs', a[2])
      if not (cur and string.find(cur, ' ', 1, true)) then return { err = 'ERR Library not found' } end
      if fn_record(call.N, a[2], '', call.stamp) then fn_log(call, a[2], '') end
      return { ok = 'OK' }
    elseif sub == 'flush' and #a <= 2 then
      sel(2 * call.N)
      local names = redis.call('HKEYS', 'km:libs')
      local gone = {}
      for _, name in ipairs(names) do
        if fn_record(call.N, name, '', call.stamp) then
          fn_log(call, name, '')
          gone[#gone + 1] = name
        end
      end
      return gone
    end
    return { err = "ERR keymesh: FUNCTION " .. string.upper(a[1] or '') .. ' is not recorded by the library' }
  end

  --[[
  km_mergelib: FCALL km_mergelib 0 <N> <name> <record>
  A function library from a snapshot's sender, as its km:libs holds it ("<stamp> <code>", or
  "<stamp>" once deleted): recorded when its stamp is later than what this node holds.
  ]]
  km_mergelib = function(_, argv)
    reset_db()
    local record = argv[3]
    local sp = string.find(record, ' ', 1, true)
    local t = sp and string.sub(record, 1, sp - 1) or record
    fn_record(tonumber(argv[1]), argv[2], sp and string.sub(record, sp + 1) or '', t)
    return { ok = 'OK' }
  end

  SCRIPTING.fcall = function(call, a) return fcall(call, a, false) end
  SCRIPTING.fcall_ro = function(call, a) return fcall(call, a, true) end
  SCRIPTING['function'] = function_cmd
end
