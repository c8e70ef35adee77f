"""Chain mode (<access><instanceConnect>chain</instanceConnect>): the key command prints the IAM
keys, then what the recipe's Instance Connect helper prints for %u %f, within one deadline.

The helper here is a STAND-IN shell script at the recipe's path inside a throwaway root: the real
eic_run_authorized_keys answers only on EC2 (it reads keys pushed with SendSSHPublicKey from the
instance metadata and checks their signature), so it is not exercised here. IAM is moto behind the
fault-injecting proxy.
"""
import os
import stat
import time
import unittest

import kilntest as T
import test_access_moto
from test_access_moto import GROUP, IS_ROOT, MOTO, MotoCase

HELPER = "/opt/aws/bin/eic_run_authorized_keys"  # al2023's and rhel-9's recipe path


@unittest.skipIf(MOTO is None, "moto_server not installed (pip install 'moto[server]'); CI has it")
@unittest.skipUnless(IS_ROOT, "the helper must be root's: run as root")
class ChainTest(MotoCase):
    def setUp(self):
        MotoCase.setUp(self)
        self.configure(deadline=1.5, instanceConnect={"mode": "chain", "helper": HELPER})
        self.iam.user_in_group("alice", GROUP)
        self.iam.upload("alice", self.k1[1])
        test_access_moto.KeyCommandTest.managed(self, "alice")  # as the sync makes it: passwd, marker, published record
        T.add_local_user(self.root, "ubuntu", 1000)  # the image's login user: not managed by Kiln
        self.args = os.path.join(self.root, "helper-args")
        self.pidfile = os.path.join(self.root, "helper-pid")

    def helper(self, body, mode=0o755):
        """The stand-in: records its arguments and pid, then runs `body`."""
        path = os.path.join(self.root, HELPER.lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n# STAND-IN for eic_run_authorized_keys (the real one answers only on EC2)\n"
                    'echo "$@" > %s\necho $$ > %s\n%s\n' % (self.args, self.pidfile, body))
        os.chmod(path, mode)

    def prints(self, *keys):
        return "\n".join("printf '%s\\n'" % k for k in keys)

    def line(self, k):
        return " ".join(k.split()[:2])

    def test_both_sides_iam_first_then_instance_connect(self):
        self.helper(self.prints(self.k2[1]))
        rc, out, err, _ = self.keys("alice", self.k2[2])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), [self.line(self.k2[1])])  # fingerprint filters both
        with open(self.args) as f:
            self.assertEqual(f.read().split(), ["alice", self.k2[2]])  # %u %f
        rc, out, err, _ = self.keys("alice")
        self.assertEqual(out.splitlines(), [self.line(self.k1[1]), self.line(self.k2[1])])
        self.assertIn("instance_connect=ok keys=1", err)

    def test_iam_failing_does_not_suppress_the_helpers_keys(self):
        self.helper(self.prints(self.k2[1]))
        self.proxy.rules = [{"mode": "5xx"}]
        rc, out, err, _ = self.keys("alice")
        self.assertEqual((rc, out.splitlines()), (0, [self.line(self.k2[1])]), err)
        self.assertIn("outcome=error", err)

    def test_iam_hanging_does_not_suppress_the_helpers_keys(self):
        self.helper(self.prints(self.k2[1]))
        self.proxy.rules = [{"mode": "slow", "seconds": 5}]
        rc, out, err, elapsed = self.keys("alice")
        self.assertEqual((rc, out.splitlines()), (0, [self.line(self.k2[1])]), err)
        self.assertLess(elapsed, 1.5 + 1.0)  # the deadline, plus starting python and the helper

    def test_a_user_kiln_does_not_manage_gets_the_helpers_keys(self):
        self.helper(self.prints(self.k2[1]))
        rc, out, err, _ = self.keys("ubuntu")
        self.assertEqual((rc, out.splitlines()), (0, [self.line(self.k2[1])]), err)
        self.assertIn("refused-uid-outside-range", err)

    def test_helper_failing_does_not_suppress_the_iam_keys(self):
        self.helper(self.prints(self.k2[1]) + "\nexit 3")
        rc, out, err, _ = self.keys("alice")
        self.assertEqual((rc, out.splitlines()), (0, [self.line(self.k1[1])]), err)  # its output dropped
        self.assertIn("instance_connect=exit-3", err)

    def test_helper_hanging_is_killed_and_does_not_suppress_the_iam_keys(self):
        self.helper(self.prints(self.k2[1]) + "\nsleep 30 & wait")
        rc, out, err, elapsed = self.keys("alice")
        self.assertEqual((rc, out.splitlines()), (0, [self.line(self.k1[1])]), err)
        self.assertLess(elapsed, 1.5 + 1.0)  # the deadline, plus starting python and the helper
        self.assertIn("instance_connect=timeout", err)
        with open(self.pidfile) as f:
            pid = int(f.read())
        time.sleep(0.2)
        self.assertFalse(os.path.exists("/proc/%d" % pid) and "Z" not in open("/proc/%d/stat" % pid).read().split()[2])

    def test_helper_junk_is_dropped_line_by_line(self):
        k2 = self.k2[1].split()
        junk = [
            "garbage that is no key",
            'command="/bin/sh" ' + self.line(self.k2[1]),  # options: refused
            "ssh-dss AAAAB3NzaC1kc3MAAACBAP== x",
            "ssh-rsa " + k2[1],  # embedded type mismatch
            "\x1b[31m" + self.line(self.k2[1]),
        ]
        self.helper(self.prints(*junk) + "\n" + self.prints(self.k2[1]))
        rc, out, err, _ = self.keys("alice")
        self.assertEqual(out.splitlines(), [self.line(self.k1[1]), self.line(self.k2[1])], err)
        self.assertIn("instance_connect=ok-dropped-5-lines", err)

    def test_helper_printing_too_much_contributes_nothing(self):
        self.helper("head -c 200000 /dev/zero | tr '\\0' a")
        rc, out, err, _ = self.keys("alice")
        self.assertEqual((rc, out.splitlines()), (0, [self.line(self.k1[1])]), err)
        self.assertIn("instance_connect=too-much-output", err)

    def test_a_helper_others_may_write_is_not_run(self):
        self.helper(self.prints(self.k2[1]), mode=0o777)
        rc, out, err, _ = self.keys("alice")
        self.assertEqual(out.splitlines(), [self.line(self.k1[1])], err)
        self.assertIn("instance_connect=writable-by-others", err)
        self.assertFalse(os.path.exists(self.args))

    def test_both_failing_prints_nothing_and_exits_non_zero(self):
        self.helper("exit 1")
        self.proxy.rules = [{"mode": "5xx"}]
        rc, out, err, _ = self.keys("alice")
        self.assertEqual((rc, out), (1, ""))

    def test_missing_helper_leaves_the_iam_keys(self):
        rc, out, err, _ = self.keys("alice")
        self.assertEqual((rc, out.splitlines()), (0, [self.line(self.k1[1])]), err)
        self.assertIn("instance_connect=missing", err)

    def test_chain_off_never_runs_the_helper(self):
        self.configure(deadline=1.5)
        self.helper(self.prints(self.k2[1]))
        rc, out, err, _ = self.keys("alice")
        self.assertEqual(out.splitlines(), [self.line(self.k1[1])])
        self.assertFalse(os.path.exists(self.args))
        self.assertNotIn("instance_connect", err)


if __name__ == "__main__":
    unittest.main()
