"""Issue 10: the defects on the IAM side (key command and the sync's fetch), each reproduced (these
tests fail on the version before the fix) and pinned: 2 (see also test_access_e2e_sshd), 4 (key
command), 5, 7, 12, 13, and attacks on the key command's files.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import kilntest as T
import test_access_batch as B
import test_access_moto as M
from kilntest import K


class DripServer(object):
    """An HTTP server on loopback that answers 200 with a long Content-Length, then sends one byte
    every `every` seconds: each read succeeds well within any socket timeout."""

    def __init__(self, every=0.2):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.every = every
        self.stop = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.drip, args=(c,), daemon=True).start()

    def drip(self, c):
        try:
            c.recv(65536)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            while not self.stop.is_set():
                c.sendall(b" ")
                time.sleep(self.every)
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.stop.set()
        self.sock.close()


class DeadlineTest(unittest.TestCase):
    def test_12_drip_fed_response_stops_at_the_deadline(self):
        srv = DripServer()
        try:
            t = time.monotonic()
            with self.assertRaises(K.DeadlineExceeded):
                K.http_request("GET", srv.url + "/", {}, None, K.Deadline(1.0))
            self.assertLess(time.monotonic() - t, 2.0)
        finally:
            srv.close()

    def test_12_sync_fetch_deadline_holds_against_a_drip_feeding_iam(self):
        srv = DripServer()
        root = T.make_root()
        try:
            cfg = dict(K.load_config("/nonexistent", {"AWS_ENDPOINT_URL_IAM": srv.url}), iamGroups=["g"])
            s = K.Sync(cfg, root)
            s.iam_deadline = 1.5
            s.client = K.IamClient(cfg, K.Credentials("a", "b"), K.Deadline(s.iam_deadline))
            t = time.monotonic()
            with self.assertRaises(K.KilnError):
                s.fetch()
            self.assertLess(time.monotonic() - t, 3.0)
        finally:
            srv.close()
            shutil.rmtree(root, ignore_errors=True)

    def test_7_name_resolution_is_bounded_by_the_deadline(self):
        import _socket
        import kiln_http

        real = _socket.getaddrinfo

        def stalled(host, *a):
            numeric = len(a) >= 5 and a[4] & _socket.AI_NUMERICHOST
            if host == b"iam.stalled.invalid" and not numeric:
                time.sleep(5)  # a resolver that does not answer (glibc: 5 s per try)
            return real(host, *a)

        _socket.getaddrinfo = stalled
        try:
            t = time.monotonic()
            with self.assertRaises(K.DeadlineExceeded):
                kiln_http.http_request("GET", "http://iam.stalled.invalid/", {}, None, K.Deadline(0.8))
            self.assertLess(time.monotonic() - t, 1.5)
        finally:
            _socket.getaddrinfo = real


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("ip"), "needs root and ip (network namespace)")
class StalledDnsTest(unittest.TestCase):
    """7, end to end: the key command process, its resolver pointed (`ip netns exec` bind-mounts
    /etc/netns/NS/resolv.conf) at a DNS server on the namespace's loopback that never answers."""

    def test_7_login_deadline_holds_while_dns_stalls(self):
        import secrets
        ns = "kiln-t-dns" + secrets.token_hex(3)
        etc = os.path.join("/etc/netns", ns)
        root = T.make_root()
        procs = []
        try:
            self.assertEqual(subprocess.run(["ip", "netns", "add", ns]).returncode, 0)
            subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"])
            os.makedirs(etc)
            with open(os.path.join(etc, "resolv.conf"), "w") as f:
                f.write("nameserver 127.0.0.1\noptions timeout:5 attempts:2\n")
            silent = ("import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                      "s.bind(('127.0.0.1',53))\nprint('ready',flush=True)\nwhile True: s.recvfrom(512)\n")
            p = subprocess.Popen(["ip", "netns", "exec", ns, T.SYSTEM_PYTHON, "-c", silent], stdout=subprocess.PIPE)
            procs.append(p)
            self.assertEqual(p.stdout.readline().strip(), b"ready")
            T.add_local_user(root, "alice", 200500, ("kiln-iam",))
            T.publish(root, {"alice": ("AIDAALICE", 200500)})
            conf = T.write_config(os.path.join(root, "access.json"), deadline=1.5,
                                  iamEndpoint="http://iam.kiln-stalled.invalid:5000")
            env = dict(T.iam_env("http://iam.kiln-stalled.invalid:5000"))
            t = time.monotonic()
            r = subprocess.run(["ip", "netns", "exec", ns, T.SYSTEM_PYTHON, "-IS", T.KEY_COMMAND, "--config", conf,
                                "--root", root, "alice"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               timeout=30)
            elapsed = time.monotonic() - t
            self.assertEqual((r.returncode, r.stdout), (1, b""), r.stderr)
            self.assertLess(elapsed, 2.5, r.stderr)  # the stalled resolver alone would take 10 s
        finally:
            for p in procs:
                p.kill()
                p.wait(5)
                p.stdout.close()
            subprocess.run(["ip", "netns", "del", ns])
            shutil.rmtree(etc, ignore_errors=True)
            shutil.rmtree(root, ignore_errors=True)


class GroupsTagTest(unittest.TestCase):
    """5: a blank kiln:iamGroups tag is an error; nothing changes."""

    def serve(self, tags):
        import fake_imds
        srv = fake_imds.serve(0, tags)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        return "http://127.0.0.1:%d" % srv.server_address[1]

    def test_5_blank_or_malformed_tag_is_an_error(self):
        for value in ("", "   ", " , ", "team-a,,team-b", "team a", "x" * 129):
            cfg = dict(K.DEFAULTS, groupsFromTags=True, metadataEndpoint=self.serve({"kiln:iamGroups": value}))
            with self.assertRaises(K.KilnError, msg=repr(value)):
                K.effective_groups(cfg)
        cfg = dict(K.DEFAULTS, groupsFromTags=True, metadataEndpoint=self.serve({"kiln:iamGroups": " a, b "}))
        self.assertEqual(K.effective_groups(cfg)[0], ["a", "b"])

    @unittest.skipUnless(B.IS_ROOT and B.HAVE_SHADOW, "needs root and shadow-utils")
    def test_5_blank_tag_changes_nothing_and_exits_1(self):
        root = T.make_root()
        conf = tempfile.mkdtemp(prefix="kiln-conf-")
        try:
            config = T.write_config(os.path.join(conf, "a.json"), groupsFromTags=True,
                                    metadataEndpoint=self.serve({"kiln:iamGroups": " "}))
            snap = B.files(root)
            env = dict(T.iam_env("http://127.0.0.1:9"))  # never reached
            rc, out, err = T.run_sync(config, root, env, T.fake_visudo(conf))
            self.assertEqual(rc, 1, err)
            self.assertIn("kiln:iamGroups", err)
            self.assertEqual(B.files(root), snap)
            self.assertFalse(os.path.exists(os.path.join(root, "home")) and os.listdir(os.path.join(root, "home")))
        finally:
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(conf, ignore_errors=True)


class KeyCommandDefectTest(M.MotoCase):
    """4 and 13 against moto (through the fault-injecting proxy)."""

    managed = M.KeyCommandTest.managed

    def test_defect_13_concurrent_cold_logins_share_one_fetch(self):
        self.configure(deadline=15, keyCacheTtl=60)  # 20 interpreters starting at once on a small shared machine
        self.iam.user_in_group("alice", M.GROUP)
        self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        self.proxy.calls.clear()
        argv = [T.SYSTEM_PYTHON, "-IS", T.KEY_COMMAND, "--config", self.config, "--root", self.root, local]
        procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
                 for _ in range(20)]
        outs = [p.communicate(timeout=30) for p in procs]
        self.assertTrue(all(o.decode().split()[:2] == self.k1[1].split()[:2] for o, _ in outs), outs)
        # ListGroupsForUser + ListSSHPublicKeys + GetUser + GetSSHPublicKey, once
        self.assertLessEqual(self.proxy.total(), 4, self.proxy.calls)

    def test_defect_13_iam_error_is_remembered_for_a_few_seconds(self):
        self.iam.user_in_group("alice", M.GROUP)
        self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        self.proxy.rules = [{"mode": "throttle"}]
        self.proxy.calls.clear()
        for _ in range(10):
            rc, out, err, _ = self.keys(local)
            self.assertEqual((rc, out), (1, ""), err)
        self.assertEqual(self.proxy.total(), 1)
        time.sleep(K.ERROR_TTL + 0.2)
        self.proxy.rules = []
        self.assertTrue(self.keys(local)[1])  # after the error TTL IAM is asked again

    def test_defect_4_reused_name_is_refused_by_the_key_command_before_any_sync(self):
        self.iam.user_in_group("alice", M.GROUP)
        kid = self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        self.assertTrue(self.keys(local)[1])
        # the person leaves; another person gets the IAM name alice and uploads a key
        self.iam.DeleteSSHPublicKey(UserName="alice", SSHPublicKeyId=kid)
        self.iam.RemoveUserFromGroup(UserName="alice", GroupName=M.GROUP)
        self.iam.DeleteUser(UserName="alice")
        self.iam.user_in_group("alice", M.GROUP)
        self.iam.upload("alice", self.k2[1])
        time.sleep(1.1)
        rc, out, err, _ = self.keys(local)
        self.assertEqual(out, "")
        self.assertIn("refused-iam-name-reused", err)

    def test_defect_2_groups_from_tags_uses_the_published_groups(self):
        self.configure(groupsFromTags=True, iamGroups=["not-the-tagged-group"])
        self.iam.user_in_group("alice", M.GROUP)
        self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        T.publish(self.root, {}, groups=[M.GROUP])  # what the sync resolved from the tag
        self.assertTrue(self.keys(local)[1])
        T.publish(self.root, {}, groups=["another-group"])
        time.sleep(1.1)
        rc, out, err, _ = self.keys(local)
        self.assertEqual(out, "")
        self.assertIn("refused-not-in-group", err)
        path = os.path.join(self.root, "var/cache/kiln/keys/.sync.json")
        doc = K.read_published(os.path.dirname(path))
        del doc["iamGroups"]  # never "every IAM user" by omission
        K.atomic_write(path, K.dumps(doc).encode(), 0o644)
        time.sleep(1.1)
        rc, out, err, _ = self.keys(local)
        self.assertEqual((rc, out), (1, ""))

    def test_defect_attacks_on_the_key_commands_files(self):
        self.iam.user_in_group("alice", M.GROUP)
        self.iam.upload("alice", self.k1[1])
        local = self.managed("alice")
        cache = os.path.join(self.root, "var/cache/kiln/keys")
        published = os.path.join(cache, ".sync.json")
        # a published file someone else could have written is not trusted
        os.chown(published, 12345, 12345)
        rc, out, err, _ = self.keys(local)
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("refused-not-owned-by-sync", err)
        os.chown(published, 0, 0)
        # a FIFO planted as the user's cache file does not hang the login
        os.mkfifo(os.path.join(cache, local + ".json"))
        rc, out, err, elapsed = self.keys(local)
        self.assertLess(elapsed, 3)
        os.unlink(os.path.join(cache, local + ".json"))
        self.assertTrue(self.keys(local)[1])
        # a locked shell (usermod -s nologin) is refused without IAM
        with open(os.path.join(self.root, "etc/passwd")) as f:
            text = f.read()
        with open(os.path.join(self.root, "etc/passwd"), "w") as f:
            f.write(text.replace(":/home/%s:/bin/bash" % local, ":/home/%s:/usr/sbin/nologin" % local))
        calls = self.proxy.total()
        rc, out, err, _ = self.keys(local)
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("refused-locked-account", err)
        self.assertEqual(self.proxy.total(), calls)


if __name__ == "__main__":
    unittest.main()
