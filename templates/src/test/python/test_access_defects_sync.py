"""Issue 10: the sync's defects an attacker found, each reproduced (these tests fail on the version
before the fix) and pinned. In-process Sync on a throwaway root with a stand-in IAM client, as in
test_access_batch; the numbers are the issue's.
"""
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import kilntest as T
import test_access_batch as B
from kilntest import K

R = (200000, 299999)


@unittest.skipUnless(B.IS_ROOT and B.HAVE_SHADOW, "needs root and shadow-utils (useradd/pwck --root)")
class SyncDefectTest(unittest.TestCase):
    def setUp(self):
        self.root = T.make_root()
        os.makedirs(os.path.join(self.root, "etc/skel/.config/sub"))
        with open(os.path.join(self.root, "etc/skel/.profile"), "w") as f:
            f.write("# skel\n")
        self.confdir = tempfile.mkdtemp(prefix="kiln-conf-")
        self.visudo = T.fake_visudo(self.confdir)

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.confdir, ignore_errors=True)

    def cfg(self, **over):
        c = K.load_config("/nonexistent", {})
        c.update(dict(iamGroups=["team0"], sudoGroups=["team0"], deleteAfterRuns=2))
        c.update(over)
        return c

    def sync(self, members, cfg=None, **kw):
        s = K.Sync(cfg or self.cfg(), self.root, visudo=self.visudo, client=B.FakeIam({"team0": members}))
        os.makedirs(s.state_dir, 0o700, exist_ok=True)
        s.execute(**kw)
        return s

    def passwd(self):
        return K.read_passwd(self.root)

    def shadow(self, name):
        return dict((l.split(":")[0], l.split(":")) for l in B.lines(self.root, "shadow"))[name]

    def published(self):
        return K.read_published(os.path.join(self.root, "var/cache/kiln/keys"))["accounts"]

    def add_to_marker(self, *names):
        with open(os.path.join(self.root, "etc/group")) as f:
            text = f.read()
        out = []
        for line in text.splitlines():
            if line.startswith("kiln-iam:"):
                members = [m for m in line.split(":")[3].split(",") if m] + list(names)
                line = ":".join(line.split(":")[:3] + [",".join(members)])
            out.append(line)
        with open(os.path.join(self.root, "etc/group"), "w") as f:
            f.write("\n".join(out) + "\n")

    # 1 ------------------------------------------------------------------------------------------
    def test_1_home_is_complete_before_the_account_exists(self):
        seen = []

        def before_rename():
            home = os.path.join(self.root, "home/alice")
            seen.append((os.path.exists(os.path.join(home, ".profile")), "alice" in self.passwd()))

        self.sync([("alice", "AIDAALICE")], fail_before_rename=before_rename)
        self.assertEqual(seen, [(True, False)])  # home built, account not yet committed
        st = os.stat(os.path.join(self.root, "home/alice/.config/sub"))
        self.assertEqual(st.st_uid, self.passwd()["alice"]["uid"])

    def test_1_directory_swapped_for_a_symlink_mid_copy_touches_nothing_outside(self):
        outside = tempfile.mkdtemp(prefix="kiln-outside-")
        victim = os.path.join(outside, "shadow")
        with open(victim, "w") as f:
            f.write("root's\n")
        os.makedirs(os.path.join(outside, ".config/sub"), exist_ok=True)

        def swap(dir_fd, name):  # the attacker wins every race: the new directory becomes a link
            os.rename(name, name + ".moved", src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            os.symlink(outside, name, dir_fd=dir_fd)

        try:
            home = os.path.join(self.root, "home/mallory")
            with self.assertRaises(OSError):
                K.create_home(os.path.join(self.root, "etc/skel"), home, 250000, 250000, hook=swap)
            self.assertFalse(os.path.lexists(home))  # the partial home is removed
            for base, dirs, files in os.walk(outside):
                for n in dirs + files:
                    self.assertEqual(os.lstat(os.path.join(base, n)).st_uid, 0, n)
        finally:
            shutil.rmtree(outside, ignore_errors=True)

    def test_1_racing_swapper_during_300_home_creations(self):
        """The issue's reproduction, as a race: a thread swaps every directory that appears in the
        new homes for a link to a directory holding a root-owned file."""
        outside = tempfile.mkdtemp(prefix="kiln-outside-")
        with open(os.path.join(outside, "shadow"), "w") as f:
            f.write("root's\n")
        for d in range(20):
            os.makedirs(os.path.join(self.root, "etc/skel/d%02d" % d))
            with open(os.path.join(self.root, "etc/skel/d%02d/f" % d), "w") as f:
                f.write("x")
        stop = threading.Event()

        def attacker():
            homes = os.path.join(self.root, "home")
            while not stop.is_set():
                for h in os.listdir(homes):
                    try:
                        for e in os.listdir(os.path.join(homes, h)):
                            p = os.path.join(homes, h, e)
                            if e.startswith("d") and not os.path.islink(p):
                                os.rename(p, p + ".x")
                                os.symlink(outside, p)
                    except OSError:
                        pass

        t = threading.Thread(target=attacker)
        t.start()
        try:
            self.sync(B.iam_users(300))
        finally:
            stop.set()
            t.join()
        try:
            self.assertEqual(os.lstat(os.path.join(outside, "shadow")).st_uid, 0)
            self.assertEqual(os.lstat(outside).st_uid, 0)
        finally:
            shutil.rmtree(outside, ignore_errors=True)

    # 3 ------------------------------------------------------------------------------------------
    def test_3_root_and_admin_in_the_marker_group_are_left_alone(self):
        self.sync([("alice", "AIDAALICE")])
        T.add_local_user(self.root, "intruder", 250123)  # in range, in the marker group, not ours
        self.add_to_marker("root", "admin", "intruder")
        before = [B.lines(self.root, n) for n in ("passwd", "shadow")]
        for _ in range(3):  # deleteAfterRuns = 2
            s = self.sync([("alice", "AIDAALICE")])
            self.assertFalse([a for a in s.actions if any(n in a for n in ("root", "admin", "intruder"))], s.actions)
        self.assertEqual([B.lines(self.root, n) for n in ("passwd", "shadow")], before)

    def test_3_deletion_never_removes_a_home_the_sync_did_not_set(self):
        self.sync([("alice", "AIDAALICE")])
        data = os.path.join(self.root, "srv/data")
        os.makedirs(data)
        with open(os.path.join(data, "db"), "w") as f:
            f.write("precious")
        r = subprocess.run(["usermod", "-R", self.root, "-d", "/srv/data", "alice"], stderr=subprocess.PIPE)
        self.assertEqual(r.returncode, 0, r.stderr)
        for _ in range(2):
            self.sync([])
        self.assertNotIn("alice", self.passwd())
        with open(os.path.join(data, "db")) as f:
            self.assertEqual(f.read(), "precious")

    def test_3_state_of_the_previous_version_is_converted(self):
        self.sync([("alice", "AIDAALICE"), ("bob", "AIDABOB")])
        path = os.path.join(self.root, "var/lib/kiln/sync-state.json")
        import json
        with open(path) as f:
            v2 = json.load(f)
        users = dict((r["local"], {"iamName": r["iamName"], "userId": uid_, "uid": r["uid"], "absentRuns": 0,
                                   "locked": False}) for uid_, r in v2["accounts"].items())
        users["bob"].pop("userId")  # a record without its UserId: no longer provably the sync's
        with open(path, "w") as f:
            json.dump({"version": 1, "users": users}, f)
        s = self.sync([])
        self.assertIn("lock user alice", s.actions)
        self.assertNotIn("lock user bob", s.actions)
        self.assertFalse(self.passwd()["bob"]["shell"].endswith("nologin"))

    # 4 ------------------------------------------------------------------------------------------
    def test_4_reused_iam_name_does_not_inherit_the_account(self):
        self.sync([("alice", "AIDAOLD")])
        old_uid = self.passwd()["alice"]["uid"]
        s = self.sync([("alice", "AIDANEW")])  # the old alice left IAM; a new person took the name
        self.assertTrue(self.passwd()["alice"]["shell"].endswith("nologin"))  # old account: locked
        self.assertEqual(self.passwd()["alice"]["uid"], old_uid)
        self.assertNotIn("alice", self.published())
        self.assertFalse(os.path.exists(os.path.join(self.root, "etc/sudoers.d/kiln-user-alice")))
        self.assertFalse([a for a in s.actions if a.startswith("add user")])
        self.sync([("alice", "AIDANEW")])  # deleteAfterRuns = 2: the old account is deleted
        self.sync([("alice", "AIDANEW")])  # the name is free: the new person's own account
        self.assertEqual(self.published()["alice"]["userId"], "AIDANEW")
        self.assertNotEqual(self.passwd()["alice"]["uid"], old_uid)
        self.assertFalse(self.passwd()["alice"]["shell"].endswith("nologin"))

    # 6 ------------------------------------------------------------------------------------------
    def test_6_sparse_file_does_not_stall_deletion(self):
        self.sync([("alice", "AIDAALICE"), ("bob", "AIDABOB")])
        with open(os.path.join(self.root, "home/alice/huge"), "wb") as f:
            f.truncate(4 << 40)  # 4 TiB, sparse
        t = time.monotonic()
        for _ in range(2):
            self.sync([("bob", "AIDABOB")])
        self.assertLess(time.monotonic() - t, 30)
        self.assertNotIn("alice", self.passwd())
        archive = os.path.join(self.root, "var/lib/kiln/archive")
        self.assertEqual([f for f in os.listdir(archive) if not f.endswith(".tar.gz")], [])
        self.assertEqual(len(os.listdir(archive)), 1)

    def test_6_failed_archive_keeps_the_account_locked_leaves_nothing_and_is_retried(self):
        self.sync([("alice", "AIDAALICE"), ("bob", "AIDABOB")])
        with open(os.path.join(self.root, "home/alice/data"), "wb") as f:
            f.write(os.urandom(1 << 20))
        import kiln_homes

        old = kiln_homes.ARCHIVE_MAX_BYTES
        kiln_homes.ARCHIVE_MAX_BYTES = 4096
        try:
            self.sync([("bob", "AIDABOB")])  # absent once: locked
            for _ in range(2):  # due for deletion: the archive fails, the account stays
                s = self.sync([("bob", "AIDABOB")])
                self.assertGreater(s.failures, 0)
        finally:
            kiln_homes.ARCHIVE_MAX_BYTES = old
        self.assertTrue(self.passwd()["alice"]["shell"].endswith("nologin"))
        self.assertEqual(self.shadow("alice")[7], "1")
        archive = os.path.join(self.root, "var/lib/kiln/archive")
        self.assertEqual(os.listdir(archive) if os.path.isdir(archive) else [], [])
        self.sync([("bob", "AIDABOB")])  # retried with the normal bound: archived and deleted
        self.assertNotIn("alice", self.passwd())
        self.assertEqual(len(os.listdir(archive)), 1)

    # 8 ------------------------------------------------------------------------------------------
    def test_8_service_account_names_are_refused(self):
        os.makedirs(os.path.join(self.root, "usr/lib/sysusers.d"))
        with open(os.path.join(self.root, "usr/lib/sysusers.d/foo.conf"), "w") as f:
            f.write("u fooservice - \"Foo\"\ng foogroup -\n")
        with open(os.path.join(self.root, "etc/group"), "a") as f:
            f.write("localsys:x:500:\n")
        names = ["docker", "ssm-user", "postgres", "systemd-coredump", "lxd", "nobody", "www-data",
                 "fooservice", "foogroup", "localsys", "kiln-keys", "systemd-anything"]
        # kiln-probe-*: the IAM users kiln:verify creates must still get accounts
        s = self.sync([(n, "AIDA%d" % i) for i, n in enumerate(names)] + [("alice", "AIDAALICE"),
                                                                         ("kiln-probe-user", "AIDAPROBE")])
        pw = self.passwd()
        self.assertIn("alice", pw)
        self.assertIn("kiln-probe-user", pw)
        for n in names:
            self.assertFalse(any(a.startswith("add user %s " % n) for a in s.actions), n)
        self.assertEqual(set(pw) - set(l.split(":")[0] for l in T.BASE_PASSWD.splitlines()), {"alice", "kiln-probe-user"})

    # 9 ------------------------------------------------------------------------------------------
    def test_9_iam_rename_keeps_the_account(self):
        self.sync([("alice", "AIDAALICE")])
        uid = self.passwd()["alice"]["uid"]
        with open(os.path.join(self.root, "home/alice/notes"), "w") as f:
            f.write("mine")
        for _ in range(3):
            s = self.sync([("alicia", "AIDAALICE")])
            self.assertFalse([a for a in s.actions if a.startswith(("archive", "userdel", "lock user"))], s.actions)
        pw = self.passwd()
        self.assertNotIn("alice", pw)
        self.assertEqual((pw["alicia"]["uid"], pw["alicia"]["home"]), (uid, "/home/alicia"))
        with open(os.path.join(self.root, "home/alicia/notes")) as f:
            self.assertEqual(f.read(), "mine")
        self.assertIn("alicia", K.read_groups(self.root)["kiln-iam"]["members"])
        self.assertEqual(K.read_groups(self.root)["alicia"]["gid"], pw["alicia"]["gid"])
        self.assertTrue(os.path.exists(os.path.join(self.root, "etc/sudoers.d/kiln-user-alicia")))
        self.assertFalse(os.path.exists(os.path.join(self.root, "etc/sudoers.d/kiln-user-alice")))
        self.assertEqual(self.published(), {"alicia": {"userId": "AIDAALICE", "uid": uid}})
        B.BatchSyncTest.assert_checks_clean(self)

    # 10 -----------------------------------------------------------------------------------------
    def test_10_retired_uid_is_never_given_to_another_user_id(self):
        small = (200000, 200003)
        first = "AIDAFIRST"
        u = K.derive_uid(first, small)
        other = next("AIDAX%d" % i for i in range(1000) if K.derive_uid("AIDAX%d" % i, small) == u)
        cfg = self.cfg(uidRange=list(small))
        self.sync([("alice", first)], cfg)
        self.assertEqual(self.passwd()["alice"]["uid"], u)
        for _ in range(2):
            self.sync([], cfg)
        self.assertNotIn("alice", self.passwd())
        self.sync([("bob", other)], cfg)
        self.assertNotEqual(self.passwd()["bob"]["uid"], u)
        self.sync([("bob", other), ("alice", first)], cfg)  # the same person comes back: their UID
        self.assertEqual(self.passwd()["alice"]["uid"], u)

    def test_10_full_uid_range_skips_one_user_not_the_run(self):
        cfg = self.cfg(uidRange=[200000, 200001])
        s = self.sync([("alice", "AIDA1"), ("bob", "AIDA2"), ("carol", "AIDA3")], cfg)
        created = set(self.passwd()) & {"alice", "bob", "carol"}
        self.assertEqual(len(created), 2)
        self.assertEqual(s.failures, 1)
        self.assertEqual(set(self.published()), created)

    # 11 -----------------------------------------------------------------------------------------
    def test_11_local_lock_is_not_undone(self):
        self.sync([("alice", "AIDAALICE")])
        r = subprocess.run(["usermod", "-R", self.root, "-L", "-e", "1", "-s", "/usr/sbin/nologin", "alice"],
                           stderr=subprocess.PIPE)
        self.assertEqual(r.returncode, 0, r.stderr)
        for _ in range(2):
            self.sync([("alice", "AIDAALICE")])
        self.assertTrue(self.passwd()["alice"]["shell"].endswith("nologin"))
        self.assertTrue(self.shadow("alice")[1].startswith("!"))
        self.assertEqual(self.shadow("alice")[7], "1")
        self.assertNotIn("alice", self.published())  # the key command refuses at once
        self.assertFalse(os.path.exists(os.path.join(self.root, "etc/sudoers.d/kiln-user-alice")))

    def test_11_absent_then_back_unlocks_only_what_the_sync_locked(self):
        self.sync([("alice", "AIDAALICE")])
        self.sync([], self.cfg(deleteAfterRuns=5))
        self.assertTrue(self.passwd()["alice"]["shell"].endswith("nologin"))
        self.sync([("alice", "AIDAALICE")], self.cfg(deleteAfterRuns=5))
        self.assertFalse(self.passwd()["alice"]["shell"].endswith("nologin"))
        self.assertIn("alice", self.published())


if __name__ == "__main__":
    unittest.main()
