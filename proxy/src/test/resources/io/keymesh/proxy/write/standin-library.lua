#!lua name=keymesh
-- Test stand-in for the keymesh apply library, used by the write-path tests only while the real
-- library (storage-adapter io.keymesh.storage.apply.ApplyLibrary) is not on the classpath. It keeps
-- the km_w contract's outside: runs the command with Redis' reply, and appends one log entry per
-- successful command to km:log:<origin> in db 2N (fields t = stamp, x = txn, c = command). No merge
-- metadata.
local function km_w(keys, args)
  local proto, db, n, origin, stamp, txn = tonumber(args[1]), args[2], tonumber(args[3]), args[4], args[5], args[6]
  redis.setresp(proto)
  local command = {}
  for i = 7, #args do
    command[#command + 1] = args[i]
  end
  local name = string.upper(command[1])
  local reply = 1
  if name ~= 'KM.TOUCH' then
    reply = redis.pcall(unpack(command))
    if type(reply) == 'table' and reply.err then
      return reply
    end
  end
  redis.call('SELECT', 2 * n)
  local seq = redis.call('HINCRBY', 'km:pos', origin, 1)
  redis.call('XADD', 'km:log:' .. origin, seq .. '-0', 't', stamp, 'x', txn, 'c', name, 'd', db)
  redis.call('SELECT', db)
  return reply
end
redis.register_function('km_w', km_w)
