"""The sync's batch path: all account changes of a run written as one batch under the shadow lock.

Runs sync-users' Sync in-process against a throwaway root, with a stand-in IAM client (no moto):
many users at once, crash before the renames (files byte-identical), an interrupted commit completed
by the next run, the shadow lock, pwck/grpck clean, UIDs/GIDs/lines as `useradd` wrote them.
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import kilntest as T
from kilntest import K

IS_ROOT = os.geteuid() == 0
HAVE_SHADOW = all(shutil.which(t) for t in ("useradd", "usermod", "gpasswd", "groupadd", "pwck", "grpck"))
R = (200000, 299999)


S = K

class FakeIam(object):
    """get_group_members / list_users from a dict {group: [(UserName, UserId)]}."""

    def __init__(self, groups):
        self.groups = groups
        self.calls = {}

    def get_group_members(self, g):
        self.calls["GetGroup"] = self.calls.get("GetGroup", 0) + 1
        if g not in self.groups:
            raise K.AwsError("NoSuchEntity", "group %s" % g, 404)
        return list(self.groups[g])

    def list_users(self):
        return [m for ms in self.groups.values() for m in ms]

    def total_calls(self):
        return sum(self.calls.values())


def iam_users(n, prefix="user"):
    out = []
    for i in range(n):
        name = "%s%04d@example.com" % (prefix, i) if i % 3 else "%s.%04d" % (prefix.capitalize(), i)
        out.append((name, "AIDA%s%012d" % (prefix.upper(), i)))
    return out


def files(root, names=("passwd", "shadow", "group", "gshadow")):
    out = {}
    for n in names:
        for suffix in ("", "-"):
            p = os.path.join(root, "etc", n + suffix)
            if os.path.exists(p):
                st = os.stat(p)
                with open(p, "rb") as f:
                    out[n + suffix] = (f.read(), st.st_mode, st.st_uid, st.st_gid)
    return out


def lines(root, name):
    with open(os.path.join(root, "etc", name)) as f:
        return f.read().splitlines()


@unittest.skipUnless(IS_ROOT and HAVE_SHADOW, "needs root and shadow-utils (useradd/pwck --root)")
class BatchSyncTest(unittest.TestCase):
    def setUp(self):
        self.root = T.make_root()
        os.makedirs(os.path.join(self.root, "etc/skel/.config"))
        with open(os.path.join(self.root, "etc/skel/.profile"), "w") as f:
            f.write("# skel\n")
        os.chmod(os.path.join(self.root, "etc/skel/.profile"), 0o644)
        os.symlink(".profile", os.path.join(self.root, "etc/skel/.link"))
        self.confdir = tempfile.mkdtemp(prefix="kiln-conf-")
        self.visudo = T.fake_visudo(self.confdir)

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.confdir, ignore_errors=True)

    def cfg(self, **over):
        c = K.load_config("/nonexistent", {})
        c.update(dict(iamGroups=["team0", "team1", "team2"], sudoGroups=["team0"], deleteAfterRuns=2))
        c.update(over)
        return c

    def sync(self, groups, cfg=None, **kw):
        s = S.Sync(cfg or self.cfg(), self.root, visudo=self.visudo, client=FakeIam(groups))
        os.makedirs(s.state_dir, 0o700, exist_ok=True)  # as main() does
        s.execute(**kw)
        return s

    def assert_checks_clean(self):
        for argv in (["pwck", "-r", "-q", "-R", self.root], ["grpck", "-r", "-R", self.root]):
            r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.assertEqual(r.returncode, 0, "%s: %s" % (argv[0], r.stdout.decode()))

    def test_many_users_in_one_batch(self):
        users = iam_users(600)
        groups = {"team%d" % g: users[g::3] for g in range(3)}
        before = dict((l.split(":")[0], l) for l in lines(self.root, "passwd"))
        t = time.monotonic()
        s = self.sync(groups)
        self.assertLess(time.monotonic() - t, 30)
        self.assertEqual(s.failures, 0)
        pw = K.read_passwd(self.root)
        gr = K.read_groups(self.root)
        gids = set()
        # UIDs as before: derived from the UserId, linearly probed past taken ones, in name order
        taken = set(u["uid"] for u in K.read_passwd(self.root).values() if u["uid"] < R[0])
        expect = {}
        for name, uid_ in sorted(users, key=lambda u: K.iam_to_local(u[0])):
            expect[name] = K.assign_uid(uid_, R, taken)
            taken.add(expect[name])
        for name, uid_ in users:
            local = K.iam_to_local(name)
            self.assertEqual(pw[local]["uid"], expect[name])
            self.assertEqual(pw[local]["shell"], "/bin/bash" if os.path.exists(os.path.join(self.root, "bin/bash"))
                             else "/bin/sh")
            self.assertEqual(gr[local]["gid"], pw[local]["gid"])  # user-private group
            gids.add(pw[local]["gid"])
            home = os.path.join(self.root, "home", local)
            st = os.lstat(home)
            self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o700, pw[local]["uid"], pw[local]["gid"]))
            self.assertEqual(os.lstat(os.path.join(home, ".profile")).st_uid, pw[local]["uid"])
            self.assertEqual(os.readlink(os.path.join(home, ".link")), ".profile")
        self.assertEqual(len(gids), len(users))
        self.assertEqual(sorted(gr["kiln-iam"]["members"]), sorted(K.iam_to_local(n) for n, _ in users))
        # accounts Kiln does not manage: their lines byte for byte as before
        after = dict((l.split(":")[0], l) for l in lines(self.root, "passwd"))
        for name, line in before.items():
            self.assertEqual(after[name], line)
        shadow = dict((l.split(":")[0], l.split(":")) for l in lines(self.root, "shadow"))
        for name, _ in users:
            self.assertEqual(shadow[K.iam_to_local(name)][1], "*")
            self.assertEqual(shadow[K.iam_to_local(name)][7], "")
        self.assertEqual(len(os.listdir(os.path.join(self.root, "etc/sudoers.d"))), 200)
        self.assert_checks_clean()
        # no temporary files left; backups of the previous versions kept
        self.assertEqual([f for f in os.listdir(os.path.join(self.root, "etc")) if f.endswith(".tmp")], [])
        self.assertTrue(os.path.exists(os.path.join(self.root, "etc/passwd-")))
        # the second run changes nothing
        snap = files(self.root)
        self.sync(groups)
        self.assertEqual(files(self.root), snap)

    def test_same_entries_as_useradd(self):
        """The batch writes what the former one-useradd-per-account path wrote (GIDs, fields)."""
        users = iam_users(12)
        groups = {"team0": users[:4], "team1": users[4:8], "team2": users[8:]}
        self.sync(groups)
        ref = T.make_root()
        try:
            subprocess.run(["groupadd", "--root", ref, "-r", "kiln-iam"], check=True)
            shell = "/bin/bash" if os.path.exists(os.path.join(self.root, "bin/bash")) else "/bin/sh"
            for name, uid_ in sorted(users, key=lambda u: K.iam_to_local(u[0])):
                subprocess.run(["useradd", "--root", ref, "-m", "-U", "-p", "*", "-u", str(K.derive_uid(uid_, R)),
                                "-G", "kiln-iam", "-s", shell, "-c", "Kiln IAM user", K.iam_to_local(name)],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name in ("passwd", "group", "gshadow"):
                self.assertEqual(lines(self.root, name), lines(ref, name), name)
            # shadow: identical but for the day of the last change, which may differ by one at midnight
            strip = lambda ls: [":".join(l.split(":")[:2] + l.split(":")[3:]) for l in ls]  # noqa: E731
            self.assertEqual(strip(lines(self.root, "shadow")), strip(lines(ref, "shadow")))
        finally:
            shutil.rmtree(ref, ignore_errors=True)

    def test_crash_before_rename_changes_nothing(self):
        users = iam_users(30)
        self.sync({"team0": users[:10], "team1": users[10:20], "team2": []})
        before = files(self.root)
        state = os.path.join(self.root, "var/lib/kiln/sync-state.json")
        with open(state, "rb") as f:
            state_before = f.read()
        homes = sorted(os.listdir(os.path.join(self.root, "home")))

        class Crash(Exception):
            pass

        def crash():
            raise Crash()

        # adds 10 users, locks 5, keeps 5: every file would change
        with self.assertRaises(Crash):
            self.sync({"team0": users[:5], "team1": [], "team2": users[20:]}, fail_before_rename=crash)
        self.assertEqual(files(self.root), before)
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "home"))), homes)
        with open(state, "rb") as f:
            self.assertEqual(f.read(), state_before)
        self.assertEqual([f for f in os.listdir(os.path.join(self.root, "etc")) if ".tmp" in f], [])

        # an I/O error while writing: the run stops with AccountDbError, nothing changed
        def enospc():
            raise OSError(28, "No space left on device")

        with self.assertRaises(S.AccountDbError):
            self.sync({"team0": users[:5], "team1": [], "team2": users[20:]}, fail_before_rename=enospc)
        self.assertEqual(files(self.root), before)
        self.assert_checks_clean()

    def test_interrupted_commit_is_completed_by_next_run(self):
        users = iam_users(9)
        groups = {"team0": users[:3], "team1": users[3:6], "team2": users[6:]}
        real = os.rename

        def rename(src, dst):
            if dst.endswith("/etc/passwd"):
                raise OSError(5, "simulated crash before the last rename")
            return real(src, dst)

        os.rename = rename
        try:
            with self.assertRaises(S.AccountDbError) as ctx:
                self.sync(groups)
        finally:
            os.rename = real
        self.assertEqual(ctx.exception.partial, ["gshadow", "shadow", "group"])
        # gshadow, shadow and group are in place, passwd is not: no account exists yet
        self.assertFalse(any(u["uid"] >= R[0] for u in K.read_passwd(self.root).values()))
        self.assertEqual([f for f in os.listdir(os.path.join(self.root, "etc")) if ".tmp" in f], [])
        s = self.sync(groups)
        self.assertEqual(s.failures, 0)
        pw = K.read_passwd(self.root)
        for name, uid_ in users:
            self.assertEqual(pw[K.iam_to_local(name)]["uid"], K.derive_uid(uid_, R))
        for name in ("passwd", "shadow", "group", "gshadow"):
            keys = [l.split(":")[0] for l in lines(self.root, name)]
            self.assertEqual(len(keys), len(set(keys)), name)
        self.assert_checks_clean()

    def test_lock_unlock_and_delete(self):
        users = iam_users(6)
        self.sync({"team0": users, "team1": [], "team2": []})
        gone = K.iam_to_local(users[0][0])
        self.sync({"team0": users[1:], "team1": [], "team2": []})
        shadow = dict((l.split(":")[0], l.split(":")) for l in lines(self.root, "shadow"))
        self.assertEqual((shadow[gone][1], shadow[gone][7]), ("!*", "1"))
        self.assertTrue(K.read_passwd(self.root)[gone]["shell"].endswith("nologin"))
        self.assert_checks_clean()
        self.sync({"team0": users, "team1": [], "team2": []})  # back: unlocked
        shadow = dict((l.split(":")[0], l.split(":")) for l in lines(self.root, "shadow"))
        self.assertEqual((shadow[gone][1], shadow[gone][7]), ("*", ""))
        self.assertFalse(K.read_passwd(self.root)[gone]["shell"].endswith("nologin"))
        for _ in range(2):  # deleteAfterRuns = 2
            self.sync({"team0": users[1:], "team1": [], "team2": []})
        self.assertNotIn(gone, K.read_passwd(self.root))
        self.assertNotIn(gone, K.read_groups(self.root)["kiln-iam"]["members"])
        self.assert_checks_clean()

    def test_many_users_locked_at_once(self):
        users = iam_users(150)
        self.sync({"team0": users, "team1": [], "team2": []})
        self.sync({"team0": [], "team1": [], "team2": []})
        shadow = dict((l.split(":")[0], l.split(":")) for l in lines(self.root, "shadow"))
        for name, _ in users:
            self.assertEqual(shadow[K.iam_to_local(name)][7], "1")
        self.assert_checks_clean()

    def test_shadow_lock_held_elsewhere(self):
        """While another process holds /etc/.pwd.lock (lckpwdf), the run waits, then gives up having
        changed nothing."""
        before = files(self.root)
        holder = subprocess.Popen([sys.executable, "-c", (
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)\n"
            "fcntl.lockf(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(30)\n"),
            os.path.join(self.root, "etc/.pwd.lock")], stdout=subprocess.PIPE)
        old = S.AccountDb.LOCK_TIMEOUT
        try:
            self.assertEqual(holder.stdout.readline().strip(), b"locked")
            S.AccountDb.LOCK_TIMEOUT = 0.5
            t = time.monotonic()
            with self.assertRaises(S.AccountDbError):
                self.sync({"team0": iam_users(3), "team1": [], "team2": []})
            self.assertGreaterEqual(time.monotonic() - t, 0.4)
        finally:
            S.AccountDb.LOCK_TIMEOUT = old
            holder.kill()
            holder.wait()
            holder.stdout.close()
        after = files(self.root)
        self.assertEqual(after, before)
        self.assertFalse(os.path.exists(os.path.join(self.root, "var/lib/kiln/sync-state.json")))

    def test_dry_run_writes_nothing(self):
        before = files(self.root)
        s = S.Sync(self.cfg(), self.root, dry_run=True, visudo=self.visudo,
                   client=FakeIam({"team0": iam_users(5), "team1": [], "team2": []}))
        os.makedirs(s.state_dir, 0o700, exist_ok=True)
        before = files(self.root)
        s.execute()
        self.assertEqual(files(self.root), before)
        self.assertEqual(os.listdir(os.path.join(self.root, "home")), [])


if __name__ == "__main__":
    unittest.main()
