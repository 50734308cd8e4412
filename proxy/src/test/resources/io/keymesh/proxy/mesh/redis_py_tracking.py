"""redis-py (RESP2) client-side caching through two keymesh primaries, driven by RedisPyCachingIT.

Usage: redis_py_tracking.py PORT_A PORT_B. A connection on B subscribes to __redis__:invalidate,
a second connection on B tracks with REDIRECT to it and reads a key; a write made through A must
reach the subscriber as an invalidation message. Prints one "ok ..." line per check, exits non-zero
with the reason on the first failure.
"""
import sys
import time

import redis

port_a, port_b = int(sys.argv[1]), int(sys.argv[2])
a = redis.Redis(host="127.0.0.1", port=port_a, socket_timeout=30)
b = redis.Redis(host="127.0.0.1", port=port_b, socket_timeout=30, single_connection_client=True)


def check(what, got, expected):
    if got != expected:
        sys.exit("FAIL %s: got %r, expected %r" % (what, got, expected))
    print("ok " + what, flush=True)


def next_message(conn):
    if not conn.can_read(timeout=30):
        sys.exit("FAIL no invalidation message within 30 s")
    return conn.read_response()


# the redirect target: a connection of its own, subscribed to the invalidation channel
pool = redis.ConnectionPool(host="127.0.0.1", port=port_b, socket_timeout=30)
target = pool.get_connection("_")
target.send_command("CLIENT", "ID")
target_id = target.read_response()
target.send_command("SUBSCRIBE", "__redis__:invalidate")
check("subscribe", next_message(target), [b"subscribe", b"__redis__:invalidate", 1])

a.set("py:k", "v1")
for _ in range(300):
    if b.get("py:k") == b"v1":
        break
    time.sleep(0.1)
check("value replicated to B", b.get("py:k"), b"v1")

check("client_tracking_on", b.client_tracking_on(clientid=target_id), b"OK")
check("client_getredir", b.client_getredir(), target_id)
info = b.client_trackinginfo()
fields = [k.decode() if isinstance(k, bytes) else k for k in info]  # redis-py 4.3 decodes the names only
check("client_trackinginfo redirect", info[fields.index("redirect") + 1], target_id)
check("tracked read on B", b.get("py:k"), b"v1")

a.set("py:k", "v2")
check("invalidation for a write on A", next_message(target), [b"message", b"__redis__:invalidate", [b"py:k"]])
check("new value on B", b.get("py:k"), b"v2")

a.flushdb()
check("invalidation for FLUSHDB on A", next_message(target), [b"message", b"__redis__:invalidate", None])
print("done", flush=True)
