#!/usr/bin/env python3
"""Scale-out test: several `serve --role fetch` processes on one PostgreSQL.

Everything is real and on loopback: a PostgreSQL server (scripts/postgres.sh),
the feed farm of ../shared/bench/feedfarm.py (run in this process, so that it
can also count how many requests it serves *at once*), and N fetch workers
(the `tributary` binary). The test proves, with the farm's own counts:

  cycle 1   every feed is fetched exactly once (requests == feeds, each feed
            seen), every entry stored once, and the farm never serves more
            requests at once than the per-host limit, although every worker
            may run that many by itself: the limit holds across workers;
  cycle 2   all feeds due again and some changed; one worker is killed with
            SIGKILL mid-cycle. The other workers fetch every feed, the dead
            worker's claimed feeds after its lease lapses; nothing is lost
            (the new entries all arrive, once), and the only extra requests
            are the fetches the dead worker had in flight.

Exit status 0 when every check holds; 1 with the failed checks listed.

Usage: tests/scaleout/scaleout.py --bin target/debug/tributary [--feeds 2000]
       [--workers 3] [--server postgres://...]   (default: scripts/postgres.sh url)
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "bench"))
import feedfarm  # noqa: E402


def log(msg):
    print(f"[scaleout {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class CountingFarm:
    """feedfarm's server, counting the requests it is serving at once."""

    def __init__(self, feeds, items, delay_ms):
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.httpd = feedfarm.Server(("127.0.0.1", 0), feedfarm.BaseHTTPRequestHandler)
        port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{port}"
        fs = feedfarm.build_feeds(feeds, items, 1, self.base)
        self.farm = {"feeds": fs, "stats": feedfarm.Stats(), "delay": delay_ms / 1000.0,
                     "opml": feedfarm.opml(fs, self.base), "urls": feedfarm.urls_list(fs, self.base),
                     "bump_next": 0}
        inner = feedfarm.make_handler(self.farm)
        outer = self

        class Counting(inner):
            def do_GET(self, head=False):
                if self.path.startswith("/f/"):
                    with outer.lock:
                        outer.now += 1
                        outer.peak = max(outer.peak, outer.now)
                    try:
                        return super().do_GET(head)
                    finally:
                        with outer.lock:
                            outer.now -= 1
                return super().do_GET(head)

        self.httpd.RequestHandlerClass = Counting
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stats(self):
        return self.farm["stats"].snapshot()

    def reset(self):
        self.farm["stats"].reset()
        with self.lock:
            self.peak = self.now

    def bump(self, n):
        with urllib.request.urlopen(f"{self.base}/_bump?n={n}") as r:
            return json.load(r)["bumped"]


def psql(url, sql):
    out = subprocess.run(["psql", url, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return out.strip()


def wait_for(what, pred, timeout, every=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "tributary"))
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--items", type=int, default=5)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--per-host", type=int, default=6)
    ap.add_argument("--delay-ms", type=float, default=15, help="farm latency per feed request")
    ap.add_argument("--lease", default="6s")
    ap.add_argument("--bump", type=int, default=200, help="feeds changed before cycle 2")
    ap.add_argument("--server", help="PostgreSQL server URL (default: scripts/postgres.sh url)")
    a = ap.parse_args()

    server = a.server or subprocess.run([os.path.join(ROOT, "scripts", "postgres.sh"), "url"],
                                        check=True, capture_output=True, text=True).stdout.strip()
    name = f"scaleout_{os.getpid()}"
    psql(server, f'CREATE DATABASE "{name}"')
    db = server.rsplit("/", 1)[0] + "/" + name
    work = tempfile.mkdtemp(prefix="scaleout-")
    failures = []
    procs = []

    def check(ok, what):
        log(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    try:
        farm = CountingFarm(a.feeds, a.items, a.delay_ms)
        opml = os.path.join(work, "feeds.opml")
        with open(opml, "w") as fh:
            fh.write(farm.farm["opml"])
        env = dict(os.environ, TRIBUTARY_ALLOW_PRIVATE_NETWORKS="1", RUST_LOG="warn",
                   TRIBUTARY_DAEMON_RESCAN="1s", TRIBUTARY_FETCH_LEASE=a.lease,
                   TRIBUTARY_FETCH_TIMEOUT="5s", TRIBUTARY_FETCH_PER_HOST=str(a.per_host),
                   TRIBUTARY_FETCH_CONCURRENCY="16", TRIBUTARY_DATABASE=db)
        env.pop("TRIBUTARY_TEST_POSTGRES", None)
        subprocess.run([a.bin, "--database", db, "import", opml], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        n = int(psql(db, "SELECT count(*) FROM feeds"))
        check(n == a.feeds, f"{n} feeds subscribed (want {a.feeds})")

        def start(i):
            e = dict(env, TRIBUTARY_FETCH_WORKER=f"worker-{i}")
            logf = open(os.path.join(work, f"worker-{i}.log"), "w")
            p = subprocess.Popen([a.bin, "--database", db, "serve", "--role", "fetch",
                                  "--listen", "127.0.0.1:0"], env=e, stdout=logf, stderr=logf)
            procs.append(p)
            return p

        # ---- cycle 1: every feed once, per-host limit across workers
        farm.reset()
        t0 = time.monotonic()
        workers = [start(i) for i in range(a.workers)]
        wait_for("cycle 1", lambda: int(psql(db, "SELECT count(*) FROM feeds WHERE last_fetched_at IS NOT NULL")) == a.feeds,
                 timeout=600)
        # Give stragglers (a second fetch, if there were one) a moment to show.
        time.sleep(2)
        s1 = farm.stats()
        peak1 = farm.peak
        took = time.monotonic() - t0
        log(f"cycle 1: {s1['requests']} requests, {s1['distinct_feeds']} feeds, peak {farm.peak} at once, {took:.1f} s")
        check(s1["requests"] == a.feeds, f"cycle 1: {s1['requests']} feed requests for {a.feeds} feeds (each exactly once)")
        check(s1["distinct_feeds"] == a.feeds, f"cycle 1: {s1['distinct_feeds']} distinct feeds fetched")
        check(farm.peak <= a.per_host,
              f"cycle 1: at most {farm.peak} requests at once at the farm's host (per-host limit {a.per_host}, "
              f"{a.workers} workers)")
        check(farm.peak >= 2, f"cycle 1: workers did fetch in parallel (peak {farm.peak})")
        entries = int(psql(db, "SELECT count(*) FROM entries"))
        check(entries == a.feeds * a.items, f"cycle 1: {entries} entries stored (want {a.feeds * a.items})")
        by_worker = psql(db, "SELECT count(DISTINCT lease_owner) FROM feeds WHERE lease_owner IS NOT NULL")
        check(by_worker == "0", "cycle 1: no claims left behind")

        # ---- cycle 2: all due again, some changed, one worker killed mid-cycle
        bumped = farm.bump(a.bump)
        farm.reset()
        psql(db, "UPDATE feeds SET next_fetch_at = to_char(now() AT TIME ZONE 'UTC', "
                 "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        t1 = time.monotonic()
        start_mark = psql(db, "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        wait_for("a third of cycle 2", lambda: farm.stats()["requests"] >= a.feeds // 3, timeout=300, every=0.05)
        victim = workers[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        held = int(psql(db, "SELECT count(*) FROM feeds WHERE lease_owner = 'worker-0'"))
        log(f"killed worker-0 (SIGKILL) after {farm.stats()['requests']} requests; it held {held} claims")
        wait_for("cycle 2", lambda: int(psql(db, f"SELECT count(*) FROM feeds WHERE last_fetched_at >= '{start_mark}'")) == a.feeds,
                 timeout=600)
        time.sleep(2)
        s2 = farm.stats()
        took2 = time.monotonic() - t1
        log(f"cycle 2: {s2['requests']} requests, {s2['distinct_feeds']} feeds, {took2:.1f} s")
        check(s2["distinct_feeds"] == a.feeds, f"cycle 2: every feed fetched ({s2['distinct_feeds']} of {a.feeds})")
        extra = s2["requests"] - a.feeds
        check(0 <= extra <= held,
              f"cycle 2: {extra} extra requests, at most the {held} fetches the killed worker had claimed")
        check(held <= 16, f"cycle 2: the killed worker held {held} claims (at most its concurrency, 16)")
        entries2 = int(psql(db, "SELECT count(*) FROM entries"))
        want2 = a.feeds * a.items + len(bumped)
        check(entries2 == want2, f"cycle 2: {entries2} entries (want {want2}: {len(bumped)} new, none lost or doubled)")
        dups = psql(db, "SELECT count(*) FROM (SELECT feed_id, guid FROM entries GROUP BY 1, 2 HAVING count(*) > 1) d")
        check(dups == "0", f"no entry stored twice ({dups} duplicated guids)")
        left = psql(db, "SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL")
        check(left == "0", f"no claims left behind after the lease lapsed ({left})")
        for i, p in enumerate(workers[1:], start=1):
            check(p.poll() is None, f"worker-{i} still running")
        if failures:
            for i in range(a.workers):
                with open(os.path.join(work, f"worker-{i}.log")) as fh:
                    tail = fh.read()[-3000:]
                log(f"worker-{i} log (tail):\n{tail}")
        print(json.dumps({"feeds": a.feeds, "workers": a.workers, "per_host": a.per_host,
                          "cycle1_s": round(took, 2), "cycle1_requests": s1["requests"],
                          "cycle1_peak_concurrent": peak1, "cycle2_s": round(took2, 2),
                          "cycle2_requests": s2["requests"], "killed_worker_claims": held,
                          "failures": failures}))
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=40)
            except subprocess.TimeoutExpired:
                p.kill()
        try:
            psql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except subprocess.CalledProcessError:
            pass
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
