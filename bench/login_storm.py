#!/usr/bin/env python3
"""Login storms against a running server: memory and the other endpoints' latency.

    python3 bench/login_storm.py BASE PID PASSWORD [STORMS] [LOGINS] [CLIENTS]

Each storm sends LOGINS good logins from CLIENTS threads at once (argon2 verification each)
while one more thread reads GET /api/v1/tenders?limit=10 in a loop; before the storms the same
read runs alone. Prints one JSON line: the server's RSS (VmRSS) after each storm and its peak
(VmHWM), the answers by status (429 `server_busy` is the bounded queue doing its job), and the
read's p50/p99 alone and during the storms. Standard library only.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


def rss(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    return -1


def conn(base):
    u = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def quantile(xs, q):
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 2) if xs else None


def reader(base, stop, out):
    c = conn(base)
    while not stop.is_set():
        t = time.perf_counter()
        c.request("GET", "/api/v1/tenders?limit=10")
        r = c.getresponse()
        r.read()
        out.append(time.perf_counter() - t)


def main():
    base, pid, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    storms = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    logins = int(sys.argv[5]) if len(sys.argv) > 5 else 400
    clients = int(sys.argv[6]) if len(sys.argv) > 6 else 32
    body = json.dumps({"email": "operatore@coop-uno.demo", "password": password})

    alone, stop = [], threading.Event()
    t = threading.Thread(target=reader, args=(base, stop, alone))
    t.start()
    time.sleep(5)
    stop.set()
    t.join()

    statuses, during, after = {}, [], []
    lock = threading.Lock()
    for _ in range(storms):
        left = [logins]

        def client():
            c = conn(base)
            while True:
                with lock:
                    if left[0] == 0:
                        return
                    left[0] -= 1
                c.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                with lock:
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        stop = threading.Event()
        read = threading.Thread(target=reader, args=(base, stop, during))
        read.start()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        stop.set()
        read.join()
        time.sleep(1)
        after.append(rss(pid, "VmRSS"))

    print(json.dumps({
        "storms": storms, "logins_per_storm": logins, "clients": clients,
        "statuses": statuses, "rss_mib_after_each_storm": after, "peak_rss_mib": rss(pid, "VmHWM"),
        "read_alone_ms": {"p50": quantile(alone, 0.5), "p99": quantile(alone, 0.99), "n": len(alone)},
        "read_during_storms_ms": {"p50": quantile(during, 0.5), "p99": quantile(during, 0.99), "n": len(during)},
    }))


if __name__ == "__main__":
    main()
