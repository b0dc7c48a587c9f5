#!/usr/bin/env python3
"""obsmon protocol v1 agent, Python 3 stdlib only: load averages and root disk use, one report per
interval over one connection, reconnecting after errors. Environment: OBSMON_HOST (127.0.0.1),
OBSMON_PORT (7070), OBSMON_INTERVAL (10 s), OBSMON_COUNT (reports, then exit; 0 = forever), OBSMON_NODE."""
import os, shutil, socket, sys, time

host, port = os.environ.get("OBSMON_HOST", "127.0.0.1"), int(os.environ.get("OBSMON_PORT", "7070"))
interval, count = float(os.environ.get("OBSMON_INTERVAL", "10")), int(os.environ.get("OBSMON_COUNT", "0"))
node = os.environ.get("OBSMON_NODE") or socket.gethostname()
sock, sent = None, 0
while count == 0 or sent < count:
    load1, load5, load15 = os.getloadavg()
    disk = shutil.disk_usage("/")
    line = f"{node} {time.time():.3f} load1={load1:.2f} load5={load5:.2f} load15={load15:.2f} disk={100 * disk.used / (disk.used + disk.free):.1f}\n"
    for attempt in (1, 2):  # a connection the bridge closed fails once: retry on a fresh one
        try:
            sock = sock or socket.create_connection((host, port), timeout=5)
            sock.sendall(line.encode("ascii"))
            break
        except OSError as error:
            if sock:
                sock.close()
            sock = None
            if attempt == 2:
                print(f"obsmon agent: {host}:{port}: {error}", file=sys.stderr)
    sent += 1
    if sent != count:
        time.sleep(interval)
if sock:
    sock.close()
