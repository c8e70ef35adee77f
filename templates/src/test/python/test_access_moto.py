"""Key command and user sync against moto, through a fault-injecting proxy.

Every account is created in a throwaway root (`--root DIR`, `useradd --root DIR`): no host users.
"""
import fcntl
import os
import random
import shutil
import stat
import string
import subprocess
import tempfile
import time
import unittest

import kilntest as T
from kilntest import K

MOTO = T.moto_binary()
IS_ROOT = os.geteuid() == 0
GROUP = "ssh-users"
ADMINS = "ssh-admins"


@unittest.skipIf(MOTO is None, "moto_server not installed (pip install 'moto[server]'); CI has it")
class MotoCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = T.Moto().start()
        cls.proxy = T.FaultProxy(cls.moto.url).start()
        cls.keydir = tempfile.mkdtemp(prefix="kiln-keys-")
        cls.k1 = T.keypair(cls.keydir, "k1")
        cls.k2 = T.keypair(cls.keydir, "k2", "ecdsa")

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.moto.stop()
        shutil.rmtree(cls.keydir, ignore_errors=True)

    def setUp(self):
        self.moto.reset()
        self.proxy.rules = []
        self.proxy.calls.clear()
        self.iam = T.Iam(self.moto.url)
        self.root = T.make_root()
        self.env = T.iam_env(self.proxy.url)
        self.confdir = tempfile.mkdtemp(prefix="kiln-conf-")
        self.config = os.path.join(self.confdir, "access.json")
        self.configure()

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.confdir, ignore_errors=True)

    def configure(self, **over):
        base = dict(iamGroups=[GROUP], sudoGroups=[ADMINS], keyCacheTtl=1, negativeCacheTtl=1, deadline=1.5,
                    deleteAfterRuns=2, cacheDir="/var/cache/kiln/keys", stateDir="/var/lib/kiln")
        base.update(over)
        T.write_config(self.config, **base)

    def keys(self, user, fp=None):
        return T.run_key_command(self.config, self.root, user, fp, self.env)


class KeyCommandTest(MotoCase):
    def managed(self, iam_name, uid=200500, groups=("kiln-iam",)):
        """A local account as the sync creates it: passwd, marker group, and the published record
        binding it to the IAM user's UserId."""
        local = K.iam_to_local(iam_name)
        T.add_local_user(self.root, local, uid, groups)
        try:
            user_id = self.iam.GetUser(UserName=iam_name).find(".//UserId").text
        except K.AwsError:
            user_id = "AIDANOSUCHUSER"
        T.publish(self.root, {local: (user_id, uid)})
        return local

    def test_active_key_printed_and_filtered_by_fingerprint(self):
        self.iam.user_in_group("Alice", GROUP)
        self.iam.upload("Alice", self.k1[1])
        local = self.managed("Alice")
        rc, out, err, _ = self.keys(local)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, " ".join(self.k1[1].split()[:2]) + "\n")  # comment dropped
        self.assertIn("outcome=keys-printed", err)
        self.assertNotIn(self.k1[1].split()[1], err)  # no key material in logs
        rc, out, err, _ = self.keys(local, self.k1[2])
        self.assertEqual(out.split()[:2], self.k1[1].split()[:2])
        rc, out, err, _ = self.keys(local, "SHA256:doesnotmatch")
        self.assertEqual((rc, out), (0, ""))

    def test_cold_path_imports(self):
        """Asking IAM loads no http.client/urllib/xml.etree/hashlib/hmac, and no idna codec (re,
        enum): a str host name given to getaddrinfo would load it."""
        self.iam.user_in_group("alice", GROUP)
        self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        env = dict(self.env)
        env.pop("KILN_LOG_STDERR")
        import subprocess
        r = subprocess.run([T.SYSTEM_PYTHON, "-IS", "-X", "importtime", T.KEY_COMMAND, "--config", self.config,
                            "--root", self.root, local, self.k1[2]], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        self.assertEqual(r.stdout.decode().split()[:2], self.k1[1].split()[:2], r.stderr)
        mods = set(l.rsplit("|", 1)[1].strip() for l in r.stderr.decode().splitlines()
                   if l.startswith("import time:") and "|" in l)
        self.assertEqual(self.proxy.calls.get("GetSSHPublicKey"), 1)  # it did ask IAM
        heavy = {"re", "enum", "encodings.idna", "http.client", "urllib.request", "xml.etree.ElementTree",
                 "hashlib", "hmac", "_hashlib", "json", "socket", "email"}
        self.assertEqual(mods & heavy, set())

    def test_cache_serves_within_ttl_and_file_is_private(self):
        self.configure(keyCacheTtl=30)
        self.iam.user_in_group("alice", GROUP)
        self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        self.assertTrue(self.keys(local)[1])
        calls = self.proxy.total()
        self.proxy.rules = [{"mode": "5xx"}]
        rc, out, err, _ = self.keys(local)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out)
        self.assertIn("source=cache", err)
        self.assertEqual(self.proxy.total(), calls)  # no IAM call on the cached path
        p = os.path.join(self.root, "var/cache/kiln/keys", local + ".json")
        self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600)
        self.assertEqual(os.stat(p).st_uid, os.geteuid())

    def test_second_key_fetched_only_once(self):
        self.configure(keyCacheTtl=0.2)
        self.iam.user_in_group("alice", GROUP)
        self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        self.keys(local)
        self.assertEqual(self.proxy.calls.get("GetSSHPublicKey"), 1)
        time.sleep(0.3)
        self.iam.upload("alice", self.k2[1])
        rc, out, err, _ = self.keys(local, self.k2[2])
        self.assertEqual(out.split()[0], self.k2[1].split()[0])
        self.assertEqual(self.proxy.calls.get("GetSSHPublicKey"), 2)  # k1's body came from the cache

    def test_revocation_inactive_deleted_group_removed_user_deleted(self):
        self.iam.user_in_group("alice", GROUP)
        kid = self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        self.assertTrue(self.keys(local)[1])
        # Inactive
        self.iam.UpdateSSHPublicKey(UserName="alice", SSHPublicKeyId=kid, Status="Inactive")
        time.sleep(1.1)
        self.assertEqual(self.keys(local)[1], "")
        # moto accepts any status: only "Active" counts
        self.iam.UpdateSSHPublicKey(UserName="alice", SSHPublicKeyId=kid, Status="Bogus")
        time.sleep(1.1)
        self.assertEqual(self.keys(local)[1], "")
        self.iam.UpdateSSHPublicKey(UserName="alice", SSHPublicKeyId=kid, Status="Active")
        time.sleep(1.1)
        self.assertTrue(self.keys(local)[1])
        # deleted
        self.iam.DeleteSSHPublicKey(UserName="alice", SSHPublicKeyId=kid)
        time.sleep(1.1)
        self.assertEqual(self.keys(local)[1], "")
        # removed from the group
        kid = self.iam.upload("alice", self.k1[1])
        time.sleep(1.1)
        self.assertTrue(self.keys(local)[1])
        self.iam.RemoveUserFromGroup(UserName="alice", GroupName=GROUP)
        time.sleep(1.1)
        rc, out, err, _ = self.keys(local)
        self.assertEqual(out, "")
        self.assertIn("refused-not-in-group", err)
        # IAM user gone
        self.iam.DeleteSSHPublicKey(UserName="alice", SSHPublicKeyId=kid)
        self.iam.DeleteUser(UserName="alice")
        time.sleep(1.1)
        rc, out, err, _ = self.keys(local)
        self.assertEqual(out, "")
        self.assertIn("refused-no-such-iam-user", err)

    def test_root_and_unmanaged_refused_without_asking_iam(self):
        for name in ("root", "bob", "carol", "admin"):
            self.iam.user_in_group(name, GROUP)
            self.iam.upload(name, self.k1[1])
        # root even listed in the marker group, bob unmanaged, carol managed but with a system UID
        T.add_local_user(self.root, "bob", 200600, ("users",))
        T.add_local_user(self.root, "carol", 999, ("kiln-iam",))
        with open(os.path.join(self.root, "etc/group")) as f:
            g = f.read().replace("kiln-iam:x:", "kiln-iam:x:", 1)
        with open(os.path.join(self.root, "etc/group"), "w") as f:
            f.write(g.replace(":carol\n", ":carol,root\n"))
        before = self.proxy.total()
        for name, outcome in (("root", "refused-not-a-kiln-name"), ("bob", "refused-unmanaged-user"),
                              ("carol", "refused-uid-outside-range"), ("admin", "refused-uid-outside-range"),
                              ("nosuchuser", "refused-unknown-user")):
            rc, out, err, _ = self.keys(name)
            self.assertEqual(out, "", name)
            self.assertNotEqual(rc, 0, name)
            self.assertIn(outcome, err, name)
        self.assertEqual(self.proxy.total(), before)

    def test_random_unknown_names_never_reach_iam(self):
        rnd = random.Random(7)
        before = self.proxy.total()
        for _ in range(100):
            n = "".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(3, 12)))
            self.assertEqual(self.keys(n)[1], "")
        self.assertEqual(self.proxy.total(), before)

    def test_invalid_key_bodies_not_printed(self):
        self.iam.user_in_group("alice", GROUP)
        self.iam.upload("alice", 'command="/bin/sh" ' + self.k1[1])  # moto accepts anything
        self.iam.upload("alice", "ssh-rsa " + self.k1[1].split()[1])  # embedded type mismatch
        self.iam.upload("alice", self.k2[1])
        local = self.managed("alice")
        rc, out, err, _ = self.keys(local)
        self.assertEqual(out.splitlines(), [" ".join(self.k2[1].split()[:2])])
        self.assertIn("key-rejected", err)

    def assert_fails_closed(self, rule, deadline=1.5):
        self.configure(deadline=deadline)
        self.iam.user_in_group("alice", GROUP)
        self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        self.proxy.rules = [rule]
        rc, out, err, elapsed = self.keys(local)
        self.assertNotEqual(rc, 0)
        self.assertEqual(out, "")
        self.assertLess(elapsed, deadline + 0.5)
        return err

    def test_throttling_fails_closed(self):
        self.assertIn("Throttling", self.assert_fails_closed({"mode": "throttle"}))

    def test_5xx_fails_closed(self):
        self.assert_fails_closed({"mode": "5xx", "action": "ListSSHPublicKeys"})

    def test_slow_iam_fails_closed_within_deadline(self):
        self.assert_fails_closed({"mode": "slow", "seconds": 5}, deadline=1.0)

    def test_slow_key_fetch_fails_closed_within_deadline(self):
        self.assert_fails_closed({"mode": "slow", "seconds": 5, "action": "GetSSHPublicKey"}, deadline=1.0)

    def test_truncated_listing_fails_closed(self):
        self.assert_fails_closed({"mode": "truncate", "action": "ListSSHPublicKeys"})

    def test_stale_if_error(self):
        self.iam.user_in_group("alice", GROUP)
        self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        self.assertTrue(self.keys(local)[1])
        time.sleep(1.1)
        self.proxy.rules = [{"mode": "5xx"}]
        self.assertEqual(self.keys(local)[1], "")  # staleIfError off by default
        self.configure(staleIfError=60)
        rc, out, err, _ = self.keys(local)
        self.assertTrue(out)
        self.assertIn("stale-cache", err)


@unittest.skipUnless(IS_ROOT and shutil.which("useradd"), "needs root and shadow-utils (useradd --root)")
class SyncTest(MotoCase):
    def setUp(self):
        MotoCase.setUp(self)
        self.visudo = T.fake_visudo(self.confdir)
        self.iam.CreateGroup(GroupName=ADMINS)

    def sync(self, *extra):
        return T.run_sync(self.config, self.root, self.env, self.visudo, extra)

    def passwd(self):
        return K.read_passwd(self.root)

    def snapshot(self):
        snap = {}
        for base, dirs, files in os.walk(self.root):
            for f in files:
                p = os.path.join(base, f)
                if f in ("sync.lock", "visudo") or os.path.islink(p):
                    continue
                st = os.lstat(p)
                with open(p, "rb") as fh:
                    snap[os.path.relpath(p, self.root)] = (fh.read(), st.st_mode, st.st_uid)
            for d in dirs:
                snap[os.path.relpath(os.path.join(base, d), self.root) + "/"] = None
        return snap

    def populate(self):
        for n in ("alice", "Bob.Smith", "carol@example.com"):
            self.iam.user_in_group(n, GROUP)
        self.iam.user_in_group("alice", ADMINS)

    def user_id(self, name):
        return self.iam.GetUser(UserName=name).find(".//UserId").text

    def test_sync_creates_users_sudo_and_is_idempotent(self):
        self.populate()
        rc, out, err = self.sync()
        self.assertEqual(rc, 0, err)
        pw = self.passwd()
        for n in ("alice", "Bob.Smith", "carol@example.com"):
            local = K.iam_to_local(n)
            self.assertIn(local, pw)
            self.assertEqual(pw[local]["uid"], K.derive_uid(self.user_id(n), (200000, 299999)))
            self.assertIn(local, K.read_groups(self.root)["kiln-iam"]["members"])
            self.assertTrue(os.path.isdir(os.path.join(self.root, "home", local)))
        sudo = os.path.join(self.root, "etc/sudoers.d/kiln-user-alice")
        self.assertEqual(stat.S_IMODE(os.stat(sudo).st_mode), 0o440)
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "etc/sudoers.d"))), ["kiln-user-alice"])
        st = os.stat(os.path.join(self.root, "var/lib/kiln/sync-state.json"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        snap = self.snapshot()
        rc, out, err = self.sync()
        self.assertEqual(rc, 0, err)
        after = self.snapshot()
        after.pop("var/lib/kiln/sync-state.json")
        snap.pop("var/lib/kiln/sync-state.json")
        self.assertEqual(after, snap)  # second run changes nothing

    def test_uids_stable_across_instances(self):
        self.populate()
        self.assertEqual(self.sync()[0], 0)
        first = dict((n, u["uid"]) for n, u in self.passwd().items() if u["uid"] >= 200000)
        other = T.make_root()
        try:
            rc, out, err = T.run_sync(self.config, other, self.env, self.visudo)
            self.assertEqual(rc, 0, err)
            second = dict((n, u["uid"]) for n, u in K.read_passwd(other).items() if u["uid"] >= 200000)
        finally:
            shutil.rmtree(other, ignore_errors=True)
        self.assertEqual(first, second)
        self.assertEqual(len(first), 3)

    def test_uid_collision_probes_and_never_reuses(self):
        self.iam.user_in_group("alice", GROUP)
        uid = K.derive_uid(self.user_id("alice"), (200000, 299999))
        T.add_local_user(self.root, "squatter", uid, ("users",))
        rc, out, err = self.sync()
        self.assertEqual(rc, 0, err)
        pw = self.passwd()
        self.assertEqual(pw["squatter"]["uid"], uid)
        self.assertEqual(pw["alice"]["uid"], uid + 1 if uid < 299999 else 200000)

    def test_reserved_and_unmappable_names_refused_run_continues(self):
        for n in ("root", "admin", "nobody", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "kiln-keys", "alice", "zed"):
            self.iam.user_in_group(n, GROUP)
        T.add_local_user(self.root, "zed", 1001, ("users",))
        rc, out, err = self.sync()
        self.assertEqual(rc, 0, err)
        pw = self.passwd()
        self.assertIn("alice", pw)
        self.assertEqual(pw["root"]["uid"], 0)
        self.assertEqual(pw["admin"]["uid"], 1000)  # existing accounts untouched
        self.assertEqual(pw["zed"]["uid"], 1001)
        self.assertNotIn("kiln-keys", pw)
        self.assertEqual(K.read_groups(self.root)["kiln-iam"]["members"], ["alice"])
        self.assertIn("reason=reserved-name", err)
        self.assertIn("reason=existing-unmanaged-account", err)
        self.assertIn("more_than_32", err)

    def test_absent_user_locked_then_deleted_with_archive(self):
        self.populate()
        self.assertEqual(self.sync()[0], 0)
        with open(os.path.join(self.root, "home/alice/notes.txt"), "w") as f:
            f.write("precious")
        self.iam.RemoveUserFromGroup(UserName="alice", GroupName=GROUP)
        rc, out, err = self.sync()
        self.assertEqual(rc, 0, err)
        pw = self.passwd()
        self.assertIn("alice", pw)  # run 1: locked, not deleted
        self.assertTrue(pw["alice"]["shell"].endswith("nologin"))
        with open(os.path.join(self.root, "etc/shadow")) as f:
            shadow = dict((l.split(":")[0], l.split(":")) for l in f.read().splitlines())
        self.assertTrue(shadow["alice"][1].startswith("!"))
        self.assertEqual(shadow["alice"][7], "1")  # account expired
        self.assertFalse(os.path.exists(os.path.join(self.root, "etc/sudoers.d/kiln-user-alice")))
        self.assertTrue(os.path.exists(os.path.join(self.root, "home/alice/notes.txt")))
        rc, out, err = self.sync()  # run 2 = deleteAfterRuns: archived then deleted
        self.assertEqual(rc, 0, err)
        self.assertNotIn("alice", self.passwd())
        self.assertNotIn("alice", K.read_groups(self.root)["kiln-iam"]["members"])
        archive = os.path.join(self.root, "var/lib/kiln/archive")
        tars = os.listdir(archive)
        self.assertEqual(len(tars), 1)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(archive, tars[0])).st_mode), 0o600)
        listing = subprocess.run(["tar", "-tzf", os.path.join(archive, tars[0])], stdout=subprocess.PIPE).stdout
        self.assertIn(b"alice/notes.txt", listing)
        self.assertIn(K.iam_to_local("Bob.Smith"), self.passwd())

    def test_user_back_before_deletion_is_unlocked(self):
        self.populate()
        self.assertEqual(self.sync()[0], 0)
        self.iam.RemoveUserFromGroup(UserName="alice", GroupName=GROUP)
        self.assertEqual(self.sync()[0], 0)
        self.assertTrue(self.passwd()["alice"]["shell"].endswith("nologin"))
        uid = self.passwd()["alice"]["uid"]
        self.iam.AddUserToGroup(UserName="alice", GroupName=GROUP)
        rc, out, err = self.sync()
        self.assertEqual(rc, 0, err)
        pw = self.passwd()
        self.assertEqual(pw["alice"]["uid"], uid)
        self.assertFalse(pw["alice"]["shell"].endswith("nologin"))
        self.assertTrue(os.path.exists(os.path.join(self.root, "etc/sudoers.d/kiln-user-alice")))
        self.assertEqual(self.sync()[0], 0)
        self.assertEqual(self.sync()[0], 0)
        self.assertIn("alice", self.passwd())  # the counter was reset

    def assert_changes_nothing(self, rule):
        self.populate()
        self.assertEqual(self.sync()[0], 0)
        # IAM now says alice and Bob are gone; a faulty answer must not act on that.
        self.iam.RemoveUserFromGroup(UserName="alice", GroupName=GROUP)
        self.iam.RemoveUserFromGroup(UserName="Bob.Smith", GroupName=GROUP)
        before = self.snapshot()
        self.proxy.rules = [rule]
        for _ in range(3):  # more than deleteAfterRuns
            rc, out, err = self.sync()
            self.assertEqual(rc, 1, err)
            self.assertIn("nothing_changed=yes", err)
        self.assertEqual(self.snapshot(), before)

    def test_throttling_changes_nothing(self):
        self.assert_changes_nothing({"mode": "throttle", "action": "GetGroup"})

    def test_throttling_of_second_group_changes_nothing(self):
        self.assert_changes_nothing({"mode": "throttle", "action": "GetGroup", "after": 1})

    def test_5xx_changes_nothing(self):
        self.assert_changes_nothing({"mode": "5xx"})

    def test_truncated_pages_change_nothing(self):
        self.assert_changes_nothing({"mode": "truncate", "action": "GetGroup"})

    def test_duplicated_members_change_nothing(self):
        self.assert_changes_nothing({"mode": "duplicate", "action": "GetGroup"})

    def test_missing_group_changes_nothing(self):
        self.populate()
        self.assertEqual(self.sync()[0], 0)
        before = self.snapshot()
        self.configure(iamGroups=[GROUP, "no-such-group"])
        self.assertEqual(self.sync()[0], 1)
        self.assertEqual(self.snapshot(), before)

    def test_overlapping_run_exits_quickly(self):
        self.populate()
        state = os.path.join(self.root, "var/lib/kiln")
        os.makedirs(state)
        fd = os.open(os.path.join(state, "sync.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            t = time.monotonic()
            rc, out, err = self.sync()
            self.assertEqual(rc, 3, err)
            self.assertLess(time.monotonic() - t, 2)
            self.assertNotIn("alice", self.passwd())
        finally:
            os.close(fd)

    def test_list_users_when_no_groups(self):
        self.configure(iamGroups=[], sudoGroups=[])
        self.iam.CreateUser(UserName="dave")
        rc, out, err = self.sync()
        self.assertEqual(rc, 0, err)
        self.assertIn("dave", self.passwd())
        self.assertEqual(self.proxy.calls.get("ListUsers"), 1)

    def test_key_command_after_sync(self):
        self.populate()
        self.iam.upload("Bob.Smith", self.k1[1])
        self.assertEqual(self.sync()[0], 0)
        rc, out, err, _ = self.keys(K.iam_to_local("Bob.Smith"))
        self.assertEqual(out.split()[:2], self.k1[1].split()[:2], err)


if __name__ == "__main__":
    unittest.main()
