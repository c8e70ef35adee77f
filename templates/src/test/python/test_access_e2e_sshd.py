"""End to end with the real sshd, in a network namespace of its own (needs root; `.ci/run` is root).

Inside namespace kiln-t-<random> (loopback only, no route): moto_server, a fake IMDSv2 (sshd gives
the key command a clean environment, so credentials come from IMDSv2 as on EC2) serving the
instance tag kiln:iamGroups (groupsFromTags is on), and sshd with AuthorizedKeysCommand = Kiln's
key command run as `nobody`. The IAM data is prepared by a helper run inside the namespace. The
real sync runs inside the namespace against a throwaway root (`--root`): it resolves the groups
from the tag and publishes what the key command reads (groups, owned accounts) into the key
cache directory, which belongs to `nobody` as it belongs to kiln-keys on an instance. Local test
users are created on the host with a `kilnt` prefix (alice with the UID the sync derived), in a
marker group of their own, and removed in `finally`, together with the namespace and processes.
"""
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import time
import unittest

import kilntest as T

HERE = os.path.dirname(os.path.abspath(__file__))
TTL = 1.0


def _missing():
    if os.geteuid() != 0:
        return "needs root (network namespace, sshd, temporary users)"
    for tool in ("ip", "ssh", "ssh-keygen", "useradd", "userdel", "groupadd", "groupdel"):
        if not shutil.which(tool):
            return "%s not installed" % tool
    if not os.path.exists("/usr/sbin/sshd"):
        return "/usr/sbin/sshd not installed"
    if T.moto_binary() is None:
        return "moto_server not installed"
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return "no user nobody"
    return None


MISSING = _missing()


def sh(*argv, **kw):
    return subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


@unittest.skipIf(MISSING, MISSING or "")
class SshdEndToEndTest(unittest.TestCase):
    def test_logins_through_kiln_key_command(self):
        tag = secrets.token_hex(3)
        ns = "kiln-t-" + tag
        work = "/run/kilnt-" + tag  # parents must be root-owned and not group/world-writable: not /tmp
        marker = "kilntm" + tag
        alice = "kilnt" + tag + "a"  # IAM name == local name (lowercase, plain characters)
        bob = "kilnt" + tag + "b"  # exists locally, not in the marker group
        procs = []
        users = []
        groups = []
        try:
            self.assertEqual(sh("ip", "netns", "add", ns).returncode, 0)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            os.makedirs(work, 0o755)
            os.chmod(work, 0o755)
            libexec = os.path.join(work, "libexec")
            os.makedirs(libexec, 0o755)
            for f, mode in T.PROGRAM_FILES:
                shutil.copy(os.path.join(T.ACCESS, f), os.path.join(libexec, f))
                os.chmod(os.path.join(libexec, f), mode)
            nobody = pwd.getpwnam("nobody")
            sync_root = T.make_root(work)
            os.chmod(sync_root, 0o755)
            cache = os.path.join(sync_root, "var/cache/kiln/keys")
            moto_port, imds_port, ssh_port = 5000, 8080, 2222  # namespace-private ports
            endpoint = "http://127.0.0.1:%d" % moto_port
            common = dict(iamEndpoint=endpoint, metadataEndpoint="http://127.0.0.1:%d" % imds_port,
                          groupsFromTags=True, iamGroups=["not-the-tagged-group"], sudoGroups=[],
                          markerGroup=marker, keyCacheTtl=TTL, negativeCacheTtl=TTL, deadline=3)
            config = os.path.join(work, "access.json")
            T.write_config(config, cacheDir=cache, stateDir="/nonexistent/state-is-root-only", **common)
            os.chmod(config, 0o644)
            sync_config = os.path.join(work, "sync.json")
            T.write_config(sync_config, cacheDir="/var/cache/kiln/keys", stateDir="/var/lib/kiln", **common)

            # processes inside the namespace, by PID
            moto = T.Moto(netns=ns, port=moto_port).start()
            procs.append(moto)
            imds = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "fake_imds.py"),
                                     str(imds_port), "kiln:iamGroups=kilnt-ssh"], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)
            procs.append(imds)
            self.assertEqual(imds.stdout.readline().strip(), b"ready")
            imds.stdout.close()
            self.assertEqual(self.iam(ns, endpoint, "--wait").returncode, 0, "moto not ready")

            keydir = os.path.join(work, "keys")
            os.makedirs(keydir, 0o700)
            key, pub, fp = T.keypair(keydir, "id")

            hostkey = os.path.join(work, "hostkey")
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostkey)
            # sshd's standard privilege-separation directory; created if missing and deliberately
            # left in place (any other sshd on this machine may be using it by now).
            os.makedirs("/run/sshd", 0o755, exist_ok=True)
            sshd_conf = os.path.join(work, "sshd_config")
            with open(sshd_conf, "w") as f:
                f.write("\n".join([
                    "Port %d" % ssh_port, "ListenAddress 127.0.0.1", "HostKey " + hostkey,
                    "PidFile " + os.path.join(work, "sshd.pid"), "AuthorizedKeysFile none",
                    "AuthorizedKeysCommand %s --config %s %%u %%f" % (os.path.join(libexec, "authorized-keys"), config),
                    "AuthorizedKeysCommandUser nobody", "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no", "UsePAM no", "PermitRootLogin prohibit-password",
                    "LogLevel VERBOSE", "",
                ]))
            r = sh("/usr/sbin/sshd", "-t", "-f", sshd_conf)
            self.assertEqual(r.returncode, 0, r.stderr)
            sshd_log = os.path.join(work, "sshd.log")
            sshd = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/sbin/sshd", "-D", "-f", sshd_conf, "-E", sshd_log],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(sshd)
            for _ in range(50):
                if sh("ip", "netns", "exec", ns, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/%d" % ssh_port).returncode == 0:
                    break
                time.sleep(0.1)

            def login(user):
                r = sh("ip", "netns", "exec", ns, "ssh", "-i", key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                       "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                       "-o", "ConnectTimeout=10", "-p", str(ssh_port), "%s@127.0.0.1" % user, "true", timeout=30)
                return r.returncode == 0

            def iam(*calls):
                r = self.iam(ns, endpoint, json.dumps([list(c) for c in calls]))
                self.assertEqual(r.returncode, 0, r.stderr)
                return json.loads(r.stdout)

            def after_ttl():
                time.sleep(TTL + 0.2)

            iam(["CreateGroup", {"GroupName": "kilnt-ssh"}])
            user_ids = {}
            for u in (alice, bob, "root"):
                user_ids[u] = iam(["CreateUser", {"UserName": u}],
                                  ["AddUserToGroup", {"UserName": u, "GroupName": "kilnt-ssh"}])[0]
            kid = iam(["UploadSSHPublicKey", {"UserName": alice, "SSHPublicKeyBody": pub}])[0]
            iam(["UploadSSHPublicKey", {"UserName": "root", "SSHPublicKeyBody": pub}],
                ["UploadSSHPublicKey", {"UserName": bob, "SSHPublicKeyBody": pub}])

            # the real sync, inside the namespace (IMDS tags, moto), on the throwaway root
            r = sh("ip", "netns", "exec", ns, T.SYSTEM_PYTHON, "-IS", os.path.join(libexec, "sync-users"), "--config",
                   sync_config, "--root", sync_root, "--visudo", T.fake_visudo(work), timeout=120,
                   env=dict(os.environ, KILN_LOG_STDERR="1"))
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(cache, ".sync.json")) as fh:
                published = json.load(fh)
            self.assertEqual(published["iamGroups"], ["kilnt-ssh"])  # from the tag, not the config
            alice_uid = published["accounts"][alice]["uid"]
            self.assertEqual(published["accounts"][alice]["userId"], user_ids[alice])
            os.chown(cache, nobody.pw_uid, nobody.pw_gid)  # kiln-keys' directory on an instance

            # host-side temporary accounts
            self.assertEqual(sh("groupadd", marker).returncode, 0)
            groups.append(marker)
            for name, uid, grp in ((alice, alice_uid, marker), (bob, 290001 + int(tag, 16) % 9000, None)):
                argv = ["useradd", "-M", "-p", "*", "-d", work, "-s", "/bin/sh", "-u", str(uid), "-U"]
                if grp:
                    argv += ["-G", grp]
                r = sh(*(argv + [name]))
                self.assertEqual(r.returncode, 0, r.stderr)
                users.append(name)
                groups.append(name)


            def log():
                with open(sshd_log) as fh:
                    return fh.read()

            self.assertTrue(login(alice), "Active key must log in\n" + log())
            self.assertFalse(login("root"), "root must be refused even with a key on IAM user root")
            self.assertFalse(login(bob), "an unmanaged local user must be refused")

            iam(["UpdateSSHPublicKey", {"UserName": alice, "SSHPublicKeyId": kid, "Status": "Inactive"}])
            after_ttl()
            self.assertFalse(login(alice), "Inactive key must be refused after the TTL")
            iam(["UpdateSSHPublicKey", {"UserName": alice, "SSHPublicKeyId": kid, "Status": "Active"}])
            after_ttl()
            self.assertTrue(login(alice), "re-activated key logs in again\n" + log())

            iam(["DeleteSSHPublicKey", {"UserName": alice, "SSHPublicKeyId": kid}])
            after_ttl()
            self.assertFalse(login(alice), "deleted key must be refused after the TTL")
            iam(["UploadSSHPublicKey", {"UserName": alice, "SSHPublicKeyBody": pub}])
            after_ttl()
            self.assertTrue(login(alice), "re-uploaded key logs in\n" + log())

            iam(["RemoveUserFromGroup", {"UserName": alice, "GroupName": "kilnt-ssh"}])
            after_ttl()
            self.assertFalse(login(alice), "user removed from the IAM group must be refused after the TTL")
        finally:
            for p in reversed(procs):
                try:
                    p.stop() if isinstance(p, T.Moto) else (p.terminate(), p.wait(5))
                except Exception:
                    try:
                        p.kill()
                    except Exception:
                        pass
            for u in users:
                sh("userdel", u)
            for g in groups:
                sh("groupdel", g)
            sh("ip", "netns", "del", ns)
            shutil.rmtree(work, ignore_errors=True)

    def iam(self, ns, endpoint, arg):
        return sh("ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "iam_helper.py"), endpoint, arg,
                  cwd=HERE, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"), timeout=60)


if __name__ == "__main__":
    unittest.main()
