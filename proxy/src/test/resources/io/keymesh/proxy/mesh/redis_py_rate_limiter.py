"""redis-py (RESP2) scripts through two keymesh primaries, driven by RedisPyRateLimiterIT.

Usage: redis_py_rate_limiter.py PORT_A PORT_B. A sliding-window rate limiter (ZREMRANGEBYSCORE,
ZCARD, ZADD of one member per admitted request) loaded with SCRIPT LOAD and called with EVALSHA, and
the same script through redis-py's register_script (EVALSHA, EVAL on NOSCRIPT). The IT cuts the
nodes apart before the concurrent calls and heals them after: the script waits for "cut" and
"healed" lines on stdin. Prints one "ok ..." line per check, exits non-zero with the reason on the
first failure.
"""
import sys
import threading
import time

import redis

LIMITER = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
LIMIT = 40
WINDOW_MS = 60000
THREADS_PER_NODE = 3
CALLS_PER_THREAD = 25

port_a, port_b = int(sys.argv[1]), int(sys.argv[2])
a = redis.Redis(host="127.0.0.1", port=port_a, socket_timeout=30)
b = redis.Redis(host="127.0.0.1", port=port_b, socket_timeout=30)


def check(what, got, expected):
    if got != expected:
        sys.exit("FAIL %s: got %r, expected %r" % (what, got, expected))
    print("ok " + what, flush=True)


def wait_for(line):
    got = sys.stdin.readline().strip()
    if got != line:
        sys.exit("FAIL expected %r on stdin, got %r" % (line, got))


sha = a.script_load(LIMITER)
check("script_load on A and B give one sha", b.script_load(LIMITER), sha)
check("script_exists on B", b.script_exists(sha), [True])
now = int(time.time() * 1000)
check("evalsha admits", a.evalsha(sha, 1, "py:limit:warmup", now, WINDOW_MS, LIMIT, "warmup"), 1)

print("cut?", flush=True)
wait_for("cut")
admitted = {"A": 0, "B": 0}
lock = threading.Lock()
errors = []


def caller(node, client, t):
    limiter = client.register_script(LIMITER)
    try:
        for i in range(CALLS_PER_THREAD):
            ok = limiter(keys=["py:limit"], args=[int(time.time() * 1000), WINDOW_MS, LIMIT, "%s-%d-%d" % (node, t, i)])
            with lock:
                admitted[node] += ok
    except Exception as e:  # reported below; the run then fails
        errors.append("%s: %r" % (node, e))


threads = [threading.Thread(target=caller, args=(n, c, t)) for t in range(THREADS_PER_NODE) for n, c in (("A", a), ("B", b))]
for th in threads:
    th.start()
for th in threads:
    th.join()
check("no errors from concurrent calls", errors, [])
check("A admits the limit during the partition", admitted["A"], LIMIT)
check("B admits the limit during the partition", admitted["B"], LIMIT)

print("heal?", flush=True)
wait_for("healed")
deadline = time.time() + 30
while time.time() < deadline and not (a.zcard("py:limit") == b.zcard("py:limit") == 2 * LIMIT):
    time.sleep(0.1)
check("after the heal both nodes hold every admitted request", (a.zcard("py:limit"), b.zcard("py:limit")), (2 * LIMIT, 2 * LIMIT))
check("the members are the same", sorted(a.zrange("py:limit", 0, -1)), sorted(b.zrange("py:limit", 0, -1)))
now = int(time.time() * 1000)
check("A refuses after the heal", a.evalsha(sha, 1, "py:limit", now, WINDOW_MS, LIMIT, "late-a"), 0)
check("B refuses after the heal", b.evalsha(sha, 1, "py:limit", now, WINDOW_MS, LIMIT, "late-b"), 0)
print("done", flush=True)
