#!/usr/bin/env python3
"""Run a command and say, per thread, where its wall time went.

    python3 bench/fetch.d/threadtime.py [--json FILE] -- COMMAND ARGS...

Polls /proc/PID/task/*/schedstat (every 50 ms) while COMMAND runs and keeps
the last values of each thread: time on a CPU, time runnable but waiting
for a CPU (other processes had the cores), and the rest of the thread's
life, asleep (waiting on a lock, a channel, a socket or the disk).  Threads
with the same name are summed.  This tells "CPU-bound", "starved by other
load" and "waiting on something" apart, which wall and CPU totals do not.
Linux only; standard library only.  Exit status is COMMAND's.
"""

import json
import os
import subprocess
import sys
import time


def read_tasks(pid):
    out = {}
    base = f"/proc/{pid}/task"
    try:
        tids = os.listdir(base)
    except OSError:
        return out
    for tid in tids:
        try:
            run_ns, wait_ns, _slices = map(int, open(f"{base}/{tid}/schedstat").read().split())
            comm = open(f"{base}/{tid}/comm").read().strip()
        except (OSError, ValueError):
            continue
        out[tid] = (comm, run_ns, wait_ns)
    return out


def main():
    args = sys.argv[1:]
    json_out = None
    if args[:1] == ["--json"]:
        json_out, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    t0 = time.monotonic()
    proc = subprocess.Popen(args)
    seen, first_seen = {}, {}
    while proc.poll() is None:
        now = time.monotonic()
        for tid, v in read_tasks(proc.pid).items():
            seen[tid] = v
            first_seen.setdefault(tid, now)
        time.sleep(0.05)
    end = time.monotonic()
    wall = end - t0
    by_name = {}
    for tid, (comm, run_ns, wait_ns) in seen.items():
        d = by_name.setdefault(comm, {"threads": 0, "run_s": 0.0, "runqueue_s": 0.0,
                                      "life_s": 0.0})
        d["threads"] += 1
        d["run_s"] += run_ns / 1e9
        d["runqueue_s"] += wait_ns / 1e9
        d["life_s"] += end - first_seen[tid]
    rows = []
    for comm, d in sorted(by_name.items(), key=lambda kv: -kv[1]["run_s"]):
        asleep = max(0.0, d["life_s"] - d["run_s"] - d["runqueue_s"])
        rows.append({"thread": comm, "threads": d["threads"], "on_cpu_s": round(d["run_s"], 2),
                     "runnable_waiting_s": round(d["runqueue_s"], 2),
                     "asleep_s": round(asleep, 2), "on_cpu_pct_of_wall":
                     round(100 * d["run_s"] / max(wall, 1e-9), 1)})
    report = {"wall_s": round(wall, 2), "threads": rows}
    print(f"wall {wall:.2f} s (sampled every 50 ms; a thread's last 50 ms may be missed)",
          file=sys.stderr)
    print(f"{'thread':<18}{'n':>4}{'on CPU s':>10}{'runnable s':>12}{'asleep s':>10}"
          f"{'CPU % wall':>12}", file=sys.stderr)
    for r in rows:
        print(f"{r['thread']:<18}{r['threads']:>4}{r['on_cpu_s']:>10.2f}"
              f"{r['runnable_waiting_s']:>12.2f}{r['asleep_s']:>10.2f}"
              f"{r['on_cpu_pct_of_wall']:>12.1f}", file=sys.stderr)
    if json_out:
        with open(json_out, "w") as fh:
            json.dump(report, fh, indent=1)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
