#!/usr/bin/env python3
"""apply-replay.py: CPU per write of the apply library's hot functions, each alone on an idle redis-server.

Starts two redis-servers (unix sockets in a temp dir, persistence off, 2N+1 databases as a keymesh
backend has), loads the apply library from LIBDIR into both, then:
  1. writer: CALLS calls with WS writes each, as a node's front end sends them, once to warm up and
     once measured: for MODE set, `FCALL km_ws` with plain 100-byte SETs over 100k keys (stamps and
     their packed form); for incr, `FCALL km_wr` with `INCR counter:<n>` over 100k keys; for hset,
     `FCALL km_wr` with `HSET myhash element:<n> <100 bytes>` over 100k fields (what
     redis-benchmark's -t incr and -t hset send);
  2. receiver: the writer's log, read back with XRANGE, applied to the other server as `FCALL km_r`
     calls of about RS writes each, as a link sends them (the second half measured).
Prints the server's CPU (user + sys from /proc) and wall time per write for each, and both servers'
INFO commandstats (usec per call). Nothing is shared with a JVM or a client, so two libraries (or
two versions of one) compare without the noise of a loaded pair (bench/replication-cpu.sh).

Usage: bench/apply-replay.py [LIBDIR] [CALLS] [WS] [RS] [MODE]
  LIBDIR  directory holding core.lua, write.lua, stream.lua, script.lua, remote.lua (loaded without the
          command table the proxy generates: only the paths these loads take run)
          [storage-adapter/src/main/resources/io/keymesh/storage/apply]
  CALLS [8000]  WS [25]  RS [240]  MODE [set; or incr, hset]      (~30 s on 2 cores)
Needs redis-server on PATH. Exit 0 whatever the numbers.
"""
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBDIR = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else os.path.join(
    HERE, '..', 'storage-adapter/src/main/resources/io/keymesh/storage/apply')
CALLS = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
WS = int(sys.argv[3]) if len(sys.argv) > 3 else 25
RS = int(sys.argv[4]) if len(sys.argv) > 4 else 240
MODE = sys.argv[5] if len(sys.argv) > 5 else 'set'
if MODE not in ('set', 'incr', 'hset'):
    sys.exit('apply-replay: MODE is set, incr or hset, not %r' % MODE)
WRITER = 'km_ws' if MODE == 'set' else 'km_wr'
N = 16                      # user databases, as keymesh's default
ORIGIN = '0123456789abcdef'
KEYS = 100000
VALUE = b'x' * 100


def resp(args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


class Conn:
    """One RESP2 connection over a unix socket: send a request, read one reply."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.buf = b''

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError('server closed the connection')
        self.buf += data

    def _line(self):
        while b'\r\n' not in self.buf:
            self._fill()
        i = self.buf.index(b'\r\n')
        line, self.buf = self.buf[:i], self.buf[i + 2:]
        return line

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b'+':
            return rest
        if kind == b'-':
            raise RuntimeError(rest.decode())
        if kind == b':':
            return int(rest)
        if kind == b'$':
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            value, self.buf = self.buf[:n], self.buf[n + 2:]
            return value
        if kind == b'*':
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError('unexpected reply line %r' % line)

    def request(self, raw):
        self.sock.sendall(raw)
        return self.read()

    def call(self, *args):
        return self.request(resp(args))


def start(tmp, name):
    sock = os.path.join(tmp, name + '.sock')
    proc = subprocess.Popen(['redis-server', '--port', '0', '--unixsocket', sock, '--databases', str(2 * N + 1),
                             '--save', '', '--appendonly', 'no', '--dir', tmp], stdout=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(sock):
            try:
                conn = Conn(sock)
                conn.call('PING')
                return proc, conn
            except OSError:
                pass
        time.sleep(0.05)
    proc.kill()
    sys.exit('apply-replay: redis-server %s did not start' % name)


def cpu_seconds(pid):
    fields = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def library():
    text = ''.join(open(os.path.join(LIBDIR, part)).read() + '\n' for part in ('core.lua', 'write.lua', 'stream.lua', 'script.lua', 'remote.lua'))
    return text.replace('@VERSION@', 'apply-replay')


def packed_stamps(fields):
    """The entry's t fields packed as the links pass them: per stamp a length byte, then its bytes."""
    out = b''
    for i in range(0, len(fields), 2):
        if fields[i] == b't':
            stamp = bytes.fromhex(fields[i + 1].decode())
            out += bytes([len(stamp)]) + stamp
    return out


def commandstats(conn):
    info = conn.call('INFO', 'commandstats').decode()
    parts = []
    for line in info.split('\r\n'):
        if line.startswith('cmdstat_'):
            name = line.split(':')[0][len('cmdstat_'):]
            if name.startswith('function'):
                continue
            parts.append('%s=%s' % (name, line.split('usec_per_call=')[1].split(',')[0]))
    return ' '.join(parts)


def main():
    if shutil.which('redis-server') is None:
        sys.exit('apply-replay: missing required command: redis-server')
    tmp = tempfile.mkdtemp(prefix='apply-replay.')
    procs = []
    try:
        pa, writer = start(tmp, 'writer')
        procs.append(pa)
        pb, receiver = start(tmp, 'receiver')
        procs.append(pb)
        src = library()
        for conn in (writer, receiver):
            conn.call('FUNCTION', 'LOAD', 'REPLACE', src)
        rnd = random.Random(7)
        hlc = 0x0190000000000000        # 48-bit ms, 16-bit logical: the ms part grows by one per SET

        def ws_call():
            nonlocal hlc
            args = ['FCALL', WRITER, '0', str(N), ORIGIN, '0']
            for _ in range(WS):
                hlc += 0x10000
                stamp = '%016x' % hlc + ORIGIN
                n = '%012d' % rnd.randrange(KEYS)
                if MODE == 'set':
                    args += [stamp, bytes.fromhex(stamp), 'key:' + n, VALUE]
                elif MODE == 'incr':
                    args += [stamp, '2', 'INCR', 'counter:' + n]
                else:
                    args += [stamp, '4', 'HSET', 'myhash', 'element:' + n, VALUE]
            return resp(args)

        for phase in ('warm-up', 'measured'):
            calls = [ws_call() for _ in range(CALLS)]
            c0, t0 = cpu_seconds(pa.pid), time.time()
            for raw in calls:
                writer.request(raw)
            if phase == 'measured':
                sets = CALLS * WS
                print('%s: %.2f us CPU per %s, wall %.2f us (%d calls of %d)' % (
                    WRITER, (cpu_seconds(pa.pid) - c0) * 1e6 / sets, MODE.upper(), (time.time() - t0) * 1e6 / sets,
                    CALLS, WS))

        writer.call('SELECT', str(2 * N))
        entries = writer.call('XRANGE', 'km:log:' + ORIGIN, '-', '+')
        batches, current, in_current = [], [], 0
        for entry_id, fields in entries:
            current.append((entry_id.split(b'-')[0], fields))
            in_current += fields[0::2].count(b't')
            if in_current >= RS:
                batches.append(current)
                current, in_current = [], 0
        if current:
            batches.append(current)
        half = len(batches) // 2
        sets, c0, t0 = 0, 0.0, 0.0
        for i, batch in enumerate(batches):
            if i == half:
                c0, t0 = cpu_seconds(pb.pid), time.time()
            args = ['FCALL', 'km_r', '0', str(N), ORIGIN, str(len(batch))]
            for seq, fields in batch:
                args += [seq, str(len(fields) // 2), packed_stamps(fields)] + fields
            receiver.request(resp(args))
            if i >= half:
                sets += sum(fields[0::2].count(b't') for _, fields in batch)
        print('km_r: %.2f us CPU per %s, wall %.2f us (%d calls of ~%d)' % (
            (cpu_seconds(pb.pid) - c0) * 1e6 / sets, MODE.upper(), (time.time() - t0) * 1e6 / sets,
            len(batches) - half, RS))
        print('writer commandstats (usec per call): ' + commandstats(writer))
        print('receiver commandstats (usec per call): ' + commandstats(receiver))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
