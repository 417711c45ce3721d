#!/usr/bin/env python3
"""Crash-safety test: SIGKILL `tributary` at random moments, and fill its disk.

Everything is real and on loopback: the feed farm of
../shared/bench/feedfarm.py (run in this process), an SQLite database file,
and the `tributary` binary. Three parts:

  fetch   N times: `tributary fetch --all` against the farm's feeds, killed
          with SIGKILL at a random moment (while a `serve --role web` process
          on the same file sets read and starred states through the Miniflux
          API, killed with it); the farm changes some feeds between kills.
  serve   N times: `tributary serve` (web and background fetching, every feed
          due) killed with SIGKILL at a random moment, states set through its
          own API until then.
  full    `tributary fetch --all` on a database whose file system fills up
          (a size-limited tmpfs when this runs as root and may mount, else
          RLIMIT_FSIZE, under which writes fail as they do on a full disk).

After every kill: Python's sqlite3 and the binary open the database,
`PRAGMA integrity_check` is ok (and the full-text index's own check, and the
foreign keys), no entry is stored twice (feed + key, feed + guid), every entry
that was committed before the kill (read from the file by a reader just
before it) and every entry of the previous kill's snapshot is still there,
every read/starred state the API confirmed before the kill is as set, and the
counters the triggers keep (entries per feed, read entries per subscription)
match the rows. At the end of each part a run that is not killed fetches
every feed and the entry count is exactly what the farm serves (nothing lost
to a crash, e.g. a validator stored without its entries). With the disk full:
a clear error naming the full disk, no panic; with room again the database
checks as above and fetching resumes.

Prints one JSON summary line at the end; exit status 1 with the failed
checks listed.

Usage: tests/crash/crash.py --bin target/debug/tributary [--kills 20]
       [--feeds 2000] [--seed N] [--modes fetch,serve,full] [--keep]
CI:    tests/crash/crash.py --bin target/debug/tributary --kills 4 --feeds 500
"""

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "scaleout"))
from scaleout import CountingFarm, wait_for  # noqa: E402

ADMIN_PASSWORD = "crash-test-admin-password"
T0 = time.monotonic()


def log(msg):
    print(f"[crash {time.monotonic() - T0:7.1f}s] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """The Miniflux-compatible API of a running `serve`, with an API password."""

    def __init__(self, port, token):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token

    def call(self, method, path, body=None, timeout=10):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"X-Auth-Token": self.token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)

    def up(self):
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False


class Run:
    """Shared state of one test run: arguments, farm, failures."""

    def __init__(self, a, work, farm):
        self.a = a
        self.work = work
        self.farm = farm
        self.rng = random.Random(a.seed)
        self.failures = []
        self.bumped = 0
        self.summary = {}
        self.home = os.path.join(work, "home")
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(
            os.environ, HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
            XDG_DATA_HOME=os.path.join(self.home, ".local", "share"),
            TRIBUTARY_FETCH_ALLOW_PRIVATE_NETWORKS="true", RUST_LOG="warn",
            TRIBUTARY_FETCH_TIMEOUT="3s", TRIBUTARY_FETCH_LEASE=f"{a.lease}s",
            TRIBUTARY_FETCH_CONCURRENCY="16", TRIBUTARY_FETCH_PER_HOST="16",
            TRIBUTARY_DAEMON_RESCAN="1s", TRIBUTARY_ADMIN_PASSWORD=ADMIN_PASSWORD)
        for k in ("TRIBUTARY_DATABASE", "TRIBUTARY_CONFIG", "TRIBUTARY_ADMIN_PASSWORD_FILE"):
            self.env.pop(k, None)

    def check(self, ok, what):
        if not ok:
            log("FAIL " + what)
            self.failures.append(what)
        elif self.a.verbose:
            log("ok   " + what)
        return ok

    # ------------------------------------------------------------ the binary

    def tributary(self, db, *args, check=True, timeout=300, preexec_fn=None):
        p = subprocess.run([self.a.bin, "--database", f"sqlite://{db}", *args], env=self.env,
                           capture_output=True, text=True, timeout=timeout, preexec_fn=preexec_fn)
        if check and p.returncode != 0:
            raise RuntimeError(f"tributary {' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
        return p

    def spawn(self, db, name, *args):
        logf = open(os.path.join(self.work, f"{name}.log"), "a")
        logf.write(f"\n==== {' '.join(args)}\n")
        logf.flush()
        return subprocess.Popen([self.a.bin, "--database", f"sqlite://{db}", *args], env=self.env,
                                stdout=logf, stderr=logf)

    def setup_db(self, db):
        """Subscribe to every farm feed; make the admin and an API password."""
        opml = os.path.join(self.work, "feeds.opml")
        if not os.path.exists(opml):
            with open(opml, "w") as fh:
                fh.write(self.farm.farm["opml"])
        self.tributary(db, "import", opml)
        # The first `serve` on the database makes the CLI's user the admin.
        port = free_port()
        web = self.spawn(db, "setup", "serve", "--role", "web", "--listen", f"127.0.0.1:{port}")
        try:
            wait_for("the first serve", lambda: Api(port, "").up() or web.poll() is not None, 60)
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=40)
        out = self.tributary(db, "user", "token", "add", "admin", "-d", "crash test").stdout
        return out.strip().splitlines()[-1].strip()

    # ------------------------------------------------------------ the file

    @staticmethod
    def connect(db):
        c = sqlite3.connect(db, timeout=30, isolation_level=None)
        c.execute("PRAGMA busy_timeout = 30000")
        return c

    def entry_keys(self, db):
        """(feed_id, key) → entry id of every committed entry (a reader's view)."""
        c = self.connect(db)
        try:
            return {(f, k): i for i, f, k in c.execute("SELECT id, feed_id, key FROM entries")}
        finally:
            c.close()

    def verify(self, db, label, before, states, count_feeds):
        """The checks after a kill; returns the entries now stored."""
        # Python's sqlite3 first: the file as the crash left it.
        try:
            c = self.connect(db)
            integrity = [r[0] for r in c.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as e:
            self.check(False, f"{label}: sqlite3 cannot open the database: {e}")
            return before
        self.check(integrity == ["ok"], f"{label}: PRAGMA integrity_check says {integrity[:5]}")
        fk = c.execute("PRAGMA foreign_key_check").fetchall()
        self.check(fk == [], f"{label}: foreign_key_check lists {fk[:5]}")
        try:
            c.execute("INSERT INTO entries_fts(entries_fts) VALUES ('integrity-check')")
            fts_ok = True
        except sqlite3.DatabaseError as e:
            fts_ok = e
        self.check(fts_ok is True, f"{label}: the full-text index's integrity-check: {fts_ok}")
        fts_gap = c.execute("SELECT (SELECT count(*) FROM entries e WHERE NOT EXISTS "
                            "(SELECT 1 FROM entries_fts f WHERE f.rowid = e.id)) + "
                            "(SELECT count(*) FROM entries_fts f WHERE NOT EXISTS "
                            "(SELECT 1 FROM entries e WHERE e.id = f.rowid))").fetchone()[0]
        self.check(fts_gap == 0, f"{label}: {fts_gap} entries missing from or extra in the search index")
        dup_keys = c.execute("SELECT count(*) FROM (SELECT 1 FROM entries GROUP BY feed_id, key "
                             "HAVING count(*) > 1)").fetchone()[0]
        dup_guids = c.execute("SELECT count(*) FROM (SELECT 1 FROM entries WHERE guid IS NOT NULL "
                              "GROUP BY feed_id, guid HAVING count(*) > 1)").fetchone()[0]
        self.check(dup_keys == 0 and dup_guids == 0,
                   f"{label}: duplicated entries: {dup_keys} keys, {dup_guids} guids stored twice")
        now = {(f, k): i for i, f, k in c.execute("SELECT id, feed_id, key FROM entries")}
        lost = [k for k, i in before.items() if now.get(k) != i]
        self.check(not lost, f"{label}: {len(lost)} of {len(before)} entries stored before the "
                             f"kill are gone or changed id, e.g. {lost[:3]}")
        stored = {e: (r, s) for e, r, s in c.execute(
            "SELECT entry_id, read, starred FROM entry_states st JOIN users u ON u.id = st.user_id "
            "WHERE u.username = 'admin'")}
        wrong = [(e, want, stored.get(e, (0, 0))) for e, want in states.items()
                 if stored.get(e, (0, 0)) != want]
        self.check(not wrong, f"{label}: {len(wrong)} of {len(states)} read/starred states set "
                              f"before the kill differ (entry, want, have): {wrong[:3]}")
        bad_counts = c.execute("SELECT count(*) FROM feeds f WHERE entry_count <> "
                               "(SELECT count(*) FROM entries e WHERE e.feed_id = f.id)").fetchone()[0]
        bad_reads = c.execute("SELECT count(*) FROM subscriptions s WHERE read_count <> "
                              "(SELECT count(*) FROM entry_states st WHERE st.user_id = s.user_id "
                              "AND st.feed_id = s.feed_id AND st.read = 1)").fetchone()[0]
        self.check(bad_counts == 0 and bad_reads == 0,
                   f"{label}: counters out of step with the rows: {bad_counts} feeds' entry_count, "
                   f"{bad_reads} subscriptions' read_count")
        c.close()
        # Then the binary.
        p = self.tributary(db, "feeds", "--json", check=False, timeout=120)
        ok = p.returncode == 0
        n = len(json.loads(p.stdout)) if ok else None
        self.check(ok and n == count_feeds,
                   f"{label}: `tributary feeds` on the database exited {p.returncode} with {n} "
                   f"feeds (want {count_feeds}): {p.stderr.strip()[-500:]}")
        self.check("panicked" not in p.stderr, f"{label}: tributary panicked: {p.stderr[-500:]}")
        return now

    def farm_missing(self, db):
        """The items the farm serves now that are not stored: (feed, guid)."""
        c = self.connect(db)
        try:
            ids = dict(c.execute("SELECT url, id FROM feeds"))
            have = set(c.execute("SELECT feed_id, guid FROM entries"))
        finally:
            c.close()
        missing = []
        for f in self.farm.farm["feeds"]:
            fid = ids.get(self.farm.base + f.path)
            with f.lock:
                guids = [it["guid"] for it in f.items]
            missing += [(f.path, g) for g in guids if (fid, g) not in have]
        return missing

    def check_complete(self, db, label, now):
        """After a run that was not killed: every feed fetched, every item the
        farm serves stored, and nothing the farm never served."""
        c = self.connect(db)
        never = c.execute("SELECT count(*) FROM feeds WHERE last_fetched_at IS NULL").fetchone()[0]
        c.close()
        self.check(never == 0, f"{label}: {never} feeds never fetched after the final run")
        missing = self.farm_missing(db)
        self.check(not missing, f"{label}: {len(missing)} items the farm serves are not stored "
                                f"after the final run, e.g. {missing[:3]}")
        served = self.a.feeds * self.a.items + self.bumped
        self.check(len(now) <= served, f"{label}: {len(now)} entries stored, more than the {served} "
                                       f"items the farm ever served")

    # ------------------------------------------------------------ states

    def set_states(self, api, db, states, ops=3):
        """Mark some committed entries read/unread and toggle stars, through
        the API; a state counts once the API has answered (the write is then
        committed)."""
        keys = self.entry_keys(db)
        if not keys:
            return 0
        ids = list(keys.values())
        done = 0
        for _ in range(ops):
            pick = self.rng.sample(ids, min(4, len(ids)))
            try:
                if self.rng.random() < 0.6:
                    read = 1 if self.rng.random() < 0.75 else 0
                    st, _ = api.call("PUT", "/v1/entries", {"entry_ids": pick,
                                                              "status": "read" if read else "unread"})
                    if st == 204:
                        for e in pick:
                            states[e] = (read, states.get(e, (0, 0))[1])
                else:
                    e = pick[0]
                    st, body = api.call("PUT", f"/v1/entries/{e}/bookmark")
                    if st in (200, 204):
                        states[e] = (states.get(e, (0, 0))[0], 1 - states.get(e, (0, 0))[1])
                done += 1
            except (urllib.error.URLError, OSError, TimeoutError) as err:
                # A request that failed tells nothing about the state: stop
                # setting states in this round so the expectations stay exact.
                log(f"state request failed ({err}); no more this round")
                return -1
        return done

    # ------------------------------------------------------------ kills

    def kill_moment(self):
        """When to kill: a random time soon after the start (opening,
        migrations, first fetches) or after a random number of farm requests."""
        if self.rng.random() < 0.25:
            return ("time", self.rng.uniform(0.0, 2.0))
        return ("requests", self.rng.randint(1, self.a.feeds), self.rng.uniform(0, 0.05))

    def wait_and_kill(self, victim, moment, api, db, states, also=()):
        """Set states until the moment comes, snapshot what is committed, kill."""
        start = time.monotonic()
        base = self.farm.stats()["requests"]
        state_ok = True
        ops = 0
        while True:
            if victim.poll() is not None:
                break
            if moment[0] == "time" and time.monotonic() - start >= moment[1]:
                break
            if moment[0] == "requests" and self.farm.stats()["requests"] - base >= moment[1]:
                time.sleep(moment[2])
                break
            if time.monotonic() - start > 300:
                break
            if state_ok and api is not None and api.up():
                r = self.set_states(api, db, states, ops=1)
                state_ok = r >= 0
                ops += max(r, 0)
            else:
                time.sleep(0.01)
        finished = victim.poll() is not None
        # What a reader sees committed right now must survive the kill.
        committed = self.entry_keys(db)
        victim.send_signal(signal.SIGKILL)
        for p in also:
            p.send_signal(signal.SIGKILL)
        victim.wait()
        for p in also:
            p.wait()
        return committed, finished, time.monotonic() - start, self.farm.stats()["requests"] - base, ops

    def loop(self, mode):
        a = self.a
        db = os.path.join(self.work, f"{mode}.db")
        token = self.setup_db(db)
        log(f"{mode}: {a.feeds} feeds subscribed in {db}; {a.kills} kills")
        states = {}
        before = {}
        kills = []
        for i in range(a.kills):
            if i > 0 and a.bump:
                self.bumped += len(self.farm.bump(a.bump))
            if mode == "serve":
                # Every feed due, so the background fetcher has all of them to do.
                c = self.connect(db)
                c.execute("UPDATE feeds SET next_fetch_at = NULL")
                c.close()
            port = free_port()
            api = Api(port, token)
            moment = self.kill_moment()
            if mode == "fetch":
                web = self.spawn(db, "fetch-web", "serve", "--role", "web", "--listen", f"127.0.0.1:{port}")
                wait_for("the web process", lambda: api.up() or web.poll() is not None, 60, every=0.05)
                victim = self.spawn(db, "fetch", "fetch", "--all")
                also = [web]
            else:
                victim = self.spawn(db, "serve", "serve", "--listen", f"127.0.0.1:{port}")
                also = []
            committed, finished, took, reqs, ops = self.wait_and_kill(victim, moment, api, db, states, also)
            label = f"{mode} kill {i + 1}"
            desc = (f"at {moment[1]:.2f} s" if moment[0] == "time"
                    else f"after {moment[1]} farm requests")
            log(f"{label}: SIGKILL {desc} ({took:.2f} s, {reqs} requests, {len(committed)} entries "
                f"committed, {ops} state requests{', it had finished' if finished else ''})")
            now = self.verify(db, label, {**before, **committed}, states, a.feeds)
            kills.append({"moment": list(moment), "seconds": round(took, 2), "requests": reqs,
                          "entries": len(now), "finished_first": finished})
            before = now
        # A run that is not killed: every feed again, nothing missing.
        time.sleep(a.lease + 0.5)  # claims of the killed processes lapse
        if mode == "fetch":
            p = self.tributary(db, "fetch", "--all", check=False, timeout=600)
            self.check(p.returncode == 0, f"{mode}: the final fetch --all exited {p.returncode}: {p.stderr[-500:]}")
            log(f"{mode}: final fetch: {p.stdout.strip()}")
        else:
            c = self.connect(db)
            c.execute("UPDATE feeds SET next_fetch_at = NULL")
            c.close()
            mark = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 1))
            port = free_port()
            srv = self.spawn(db, "serve", "serve", "--listen", f"127.0.0.1:{port}")

            def done():
                c = self.connect(db)
                try:
                    return c.execute("SELECT count(*) FROM feeds WHERE last_fetched_at >= ?",
                                     (mark,)).fetchone()[0] == a.feeds and not self.farm_missing(db)
                finally:
                    c.close()
            try:
                wait_for("the final serve cycle", done, 300, every=0.5)
            except TimeoutError as e:
                self.check(False, f"{mode}: {e}")
            srv.send_signal(signal.SIGTERM)
            rc = srv.wait(timeout=60)
            self.check(rc == 0, f"{mode}: serve stopped by SIGTERM exited {rc}")
        now = self.verify(db, f"{mode} final", before, states, a.feeds)
        self.check_complete(db, mode, now)
        self.summary[mode] = {"kills": kills, "entries": len(now),
                              "states_checked": len(states),
                              "kills_before_finish": sum(not k["finished_first"] for k in kills)}

    # ------------------------------------------------------------ disk full

    def disk_full(self):
        a = self.a
        mnt = os.path.join(self.work, "full")
        os.makedirs(mnt)
        mounted = False
        if a.full_via in ("auto", "tmpfs") and os.geteuid() == 0:
            mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", mnt],
                                     capture_output=True).returncode == 0
        if a.full_via == "tmpfs" and not mounted:
            raise RuntimeError("--full-via tmpfs: cannot mount a tmpfs here (needs root)")
        how = "tmpfs" if mounted else "rlimit"
        db = os.path.join(mnt, "full.db")
        try:
            token = self.setup_db(db)
            # Some entries and states before the disk fills.
            urls = [f"{self.farm.base}{f.path}" for f in self.farm.farm["feeds"][: max(1, a.feeds // 10)]]
            self.tributary(db, "fetch", *urls)
            port = free_port()
            api = Api(port, token)
            web = self.spawn(db, "full-web", "serve", "--role", "web", "--listen", f"127.0.0.1:{port}")
            states = {}
            try:
                wait_for("the web process", lambda: api.up() or web.poll() is not None, 60, every=0.05)
                self.set_states(api, db, states, ops=6)
            finally:
                web.send_signal(signal.SIGTERM)
                web.wait(timeout=40)
            c = self.connect(db)
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            c.close()
            before = self.entry_keys(db)
            used = sum(os.path.getsize(os.path.join(mnt, f)) for f in os.listdir(mnt))
            room = 512 * 1024
            preexec = None
            if mounted:
                subprocess.run(["mount", "-o", f"remount,size={used + room}", mnt], check=True)
                # tmpfs rounds to pages; fill what is left but `room`.
                st = os.statvfs(mnt)
                log(f"full: tmpfs with {st.f_bavail * st.f_frsize // 1024} KiB free, "
                    f"database {used // 1024} KiB")
            else:
                limit = max(os.path.getsize(db), used) + room

                def preexec():
                    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
                log(f"full: RLIMIT_FSIZE {limit // 1024} KiB, database {used // 1024} KiB")
            t = time.monotonic()
            p = self.tributary(db, "fetch", "--all", check=False, timeout=600, preexec_fn=preexec)
            took = time.monotonic() - t
            err = p.stderr.strip()
            lines = err.splitlines()
            log(f"full: fetch --all exited {p.returncode} in {took:.1f} s; stdout {p.stdout.strip()!r}; "
                f"stderr {len(lines)} lines, first {lines[:1]}, last {lines[-1:]}")
            with open(os.path.join(self.work, "full-fetch.log"), "w") as fh:
                fh.write(p.stdout + "\n----\n" + p.stderr)
            if mounted:
                self.check(p.returncode != 0, f"full: fetch --all with the disk full exited {p.returncode} "
                                              f"(want non-zero)")
                self.check("disk holding the database is full" in lines[-1],
                           f"full: the last error line names the full disk: {lines[-1:]}")
            else:
                # Past RLIMIT_FSIZE a write fails with EFBIG, which SQLite
                # reports as SQLITE_FULL only for a short write, else as
                # SQLITE_IOERR_WRITE ("disk I/O error").
                self.check("disk holding the database is full" in err or "disk I/O error" in err,
                           f"full: the errors name the failed database write: {lines[-1:]}")
            self.check("panicked" not in err, "full: no panic")
            if mounted:
                subprocess.run(["mount", "-o", "remount,size=2g", mnt], check=True)
            now = self.verify(db, "full: after the disk has room again", before, states, a.feeds)
            time.sleep(a.lease + 0.5)  # claims the failed run could not release lapse
            p = self.tributary(db, "fetch", "--all", check=False, timeout=600)
            self.check(p.returncode == 0, f"full: fetch --all with room again exited {p.returncode}: "
                                          f"{p.stderr[-500:]}")
            log(f"full: fetch with room again: {p.stdout.strip()}")
            now = self.verify(db, "full: after fetching resumed", now, states, a.feeds)
            self.check_complete(db, "full", now)
            self.serve_disk_full(db, mnt, mounted, token, now, states)
            self.summary["full"] = {"how": how, "exit": p.returncode, "entries": len(now),
                                    "entries_before": len(before), "error": lines[-1:] and lines[-1][:300]}
        finally:
            if mounted:
                subprocess.run(["umount", "-l", mnt])


    def serve_disk_full(self, db, mnt, mounted, token, before, states):
        """`serve` fetching in the background while the disk fills: it keeps
        running and answering, and once there is room again the same process
        stores everything (no restart)."""
        a = self.a
        self.bumped += len(self.farm.bump(max(1, a.feeds // 5)))
        c = self.connect(db)
        c.execute("UPDATE feeds SET next_fetch_at = NULL")
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.close()
        used = sum(os.path.getsize(os.path.join(mnt, f)) for f in os.listdir(mnt))
        port = free_port()
        api = Api(port, token)
        logname = os.path.join(self.work, "full-serve.log")
        args = [a.bin, "--database", f"sqlite://{db}", "serve", "--listen", f"127.0.0.1:{port}"]
        logf = open(logname, "w")
        if mounted:
            subprocess.run(["mount", "-o", f"remount,size={used + 256 * 1024}", mnt], check=True)
            srv = subprocess.Popen(args, env=self.env, stdout=logf, stderr=logf)
        else:
            limit = max(os.path.getsize(db), used) + 256 * 1024

            def preexec():
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
            # The limit is on every file the process writes: its log goes
            # through a pipe to a file this process writes.
            srv = subprocess.Popen(args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   preexec_fn=preexec)

            def pump():
                for chunk in iter(lambda: srv.stdout.read1(65536), b""):
                    logf.write(chunk.decode(errors="replace"))
                    logf.flush()
            threading.Thread(target=pump, daemon=True).start()
        try:
            def said_full():
                with open(logname) as fh:
                    text = fh.read()
                    return ("disk holding the database is full" in text or
                            (not mounted and "disk I/O error" in text) or srv.poll() is not None)
            try:
                wait_for("serve to meet the full disk", said_full, 120, every=0.2)
            except TimeoutError as e:
                self.check(False, f"full/serve: {e}")
            time.sleep(1)
            self.check(srv.poll() is None, f"full/serve: serve is still running with the disk full "
                                           f"(exit {srv.poll()})")
            self.check(api.up(), "full/serve: serve answers /healthz with the disk full")
            # Room again, for the running process.
            if mounted:
                subprocess.run(["mount", "-o", "remount,size=2g", mnt], check=True)
            else:
                resource.prlimit(srv.pid, resource.RLIMIT_FSIZE,
                                 (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            t = time.monotonic()
            time.sleep(a.lease + 0.5)
            try:
                st, _ = api.call("PUT", "/v1/feeds/refresh")
                self.check(st == 204, f"full/serve: PUT /v1/feeds/refresh answered {st}")
            except (urllib.error.URLError, OSError) as e:
                self.check(False, f"full/serve: PUT /v1/feeds/refresh failed: {e}")
            try:
                wait_for("the running serve to store what the farm serves",
                         lambda: not self.farm_missing(db), 120, every=0.5)
                log(f"full/serve: the same serve process stored everything "
                    f"{time.monotonic() - t:.1f} s after the disk had room again")
            except TimeoutError as e:
                self.check(False, f"full/serve: {e}: {len(self.farm_missing(db))} items still missing")
            with open(logname) as fh:
                text = fh.read()
            self.check("panicked" not in text, "full/serve: no panic in the serve log")
        finally:
            srv.send_signal(signal.SIGTERM)
            rc = srv.wait(timeout=60)
        self.check(rc == 0, f"full/serve: serve stopped by SIGTERM exited {rc}")
        now = self.verify(db, "full/serve: after", before, states, a.feeds)
        self.check_complete(db, "full/serve", now)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--bin", default=os.path.join(target, "debug", "tributary"))
    ap.add_argument("--kills", type=int, default=20, help="kills per mode")
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--items", type=int, default=5)
    ap.add_argument("--bump", type=int, default=None, help="feeds changed between kills (default feeds/20)")
    ap.add_argument("--delay-ms", type=float, default=2, help="farm latency per feed request")
    ap.add_argument("--lease", type=float, default=4, help="fetch claim lease, seconds")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--modes", default="fetch,serve,full")
    ap.add_argument("--full-via", choices=("auto", "tmpfs", "rlimit"), default="auto",
                    help="how the disk fills: a small tmpfs (root), RLIMIT_FSIZE, or the first that works")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passing checks too")
    a = ap.parse_args()
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1 << 32)
    if a.bump is None:
        a.bump = max(1, a.feeds // 20)
    if a.bump * a.kills > a.feeds * a.items:
        sys.exit("--bump too large: a feed bumped more often than it has items loses items")
    log(f"seed {a.seed} (rerun with --seed {a.seed}); {a.feeds} feeds, {a.kills} kills per mode, "
        f"modes {a.modes}, binary {a.bin}")
    work = tempfile.mkdtemp(prefix="crash-")
    farm = CountingFarm(a.feeds, a.items, a.delay_ms)
    run = Run(a, work, farm)
    started = time.monotonic()
    try:
        for mode in a.modes.split(","):
            t = time.monotonic()
            if mode in ("fetch", "serve"):
                run.loop(mode)
            elif mode == "full":
                run.disk_full()
            else:
                sys.exit(f"unknown mode {mode!r}: use fetch, serve, full")
            run.summary.setdefault(mode, {})["seconds"] = round(time.monotonic() - t, 1)
    except Exception as e:  # a broken harness step is a failure, with its reason
        run.check(False, f"{type(e).__name__}: {e}")
    finally:
        if a.keep or run.failures:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"seed": a.seed, "feeds": a.feeds, "kills_per_mode": a.kills,
                      "seconds": round(time.monotonic() - started, 1), **run.summary,
                      "failures": run.failures}))
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
