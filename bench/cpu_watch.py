#!/usr/bin/env python3
"""How much CPU other work on the machine took while the benchmark ran.

    cpu_watch.py ROOT_PID DB_NAME OUT_JSON

Every second, adds up the CPU time used by every process that is neither a descendant of
ROOT_PID (run.sh: the server, wrk, the Python client, this watcher) nor a PostgreSQL backend
serving DB_NAME (its process title names the database). On SIGTERM writes the total, the wall
time and the biggest consumers to OUT_JSON. A busy machine skews the figures; this says by how much.
"""
import json
import os
import signal
import sys
import time

root, db_name, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tick = os.sysconf("SC_CLK_TCK")
stopping = False


def on_term(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_term)


def snapshot():
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
        procs[int(entry)] = (ppid, utime + stime, comm, cmdline)
    return procs


def mine(pid, procs):
    seen = 0
    while pid > 1 and seen < 64:
        if pid == root:
            return True
        pid = procs.get(pid, (0,))[0]
        seen += 1
    return False


start = time.monotonic()
before = snapshot()
used, by_comm = 0, {}
while not stopping:
    time.sleep(1)
    now = snapshot()
    for pid, (ppid, ticks, comm, cmdline) in now.items():
        if mine(pid, now) or (db_name and db_name in cmdline):
            continue
        prev = before.get(pid)
        if prev is None:
            # Born since the last look: what it used is all since then (unless the pid was reused).
            delta = ticks if ticks < tick * 2 else 0
        elif prev[2] != comm:
            delta = 0
        else:
            delta = ticks - prev[1]
        if delta > 0:
            used += delta
            by_comm[comm] = by_comm.get(comm, 0) + delta
    before = now

wall = time.monotonic() - start
top = sorted(by_comm.items(), key=lambda kv: -kv[1])[:4]
with open(out, "w") as f:
    json.dump({"cpu_s": used / tick, "wall_s": wall, "cores": os.cpu_count(),
               "top": [[c, t / tick] for c, t in top]}, f)
