"""Unit tests of the access modules (kiln_iam, kiln_aws, ...): name mapping, UIDs, SigV4, XML/pagination, key validation, cache files."""
import datetime
import os
import random
import stat
import string
import tempfile
import unittest

from kilntest import K

AK = "AKIDEXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_DATE = datetime.datetime(2015, 8, 30, 12, 36, 0, tzinfo=datetime.timezone.utc)
IAM_CHARS = string.ascii_letters + string.digits + "_+=,.@-"


class NameMappingTest(unittest.TestCase):
    def test_examples(self):
        cases = {
            "alice": "alice",
            "Alice": "_alice",
            "a_b": "a__b",
            "bob@example.com": "bob_0example.com",
            "x+y=z,w": "x_1y_2z_3w",
            "1st": "_.1st",
            ".hidden": "_..hidden",
            "-dash": "_.-dash",
            "John.Smith": "_john._smith",
        }
        for iam, local in cases.items():
            self.assertEqual(K.iam_to_local(iam), local, iam)
            self.assertEqual(K.local_to_iam(local), iam, local)

    def test_case_variants_are_distinct(self):
        names = ["alice", "Alice", "ALICE", "aLiCe"]
        locals_ = [K.iam_to_local(n) for n in names]
        self.assertEqual(len(set(locals_)), len(names))
        for l in locals_:
            self.assertEqual(l, l.lower())

    def test_random_injective_and_reversible(self):
        rnd = random.Random(1234)
        seen = {}
        for _ in range(20000):
            n = "".join(rnd.choice(IAM_CHARS) for _ in range(rnd.randint(1, 20)))
            try:
                l = K.iam_to_local(n)
            except K.NameRefused:
                continue
            self.assertLessEqual(len(l), 32)
            self.assertRegex(l, r"^[a-z_][a-z0-9_.-]*$")
            self.assertFalse(l.isdigit())
            self.assertEqual(K.local_to_iam(l), n)
            if l in seen:
                self.assertEqual(seen[l], n, "collision %r %r -> %r" % (seen[l], n, l))
            seen[l] = n

    def test_refusals(self):
        for bad in ["", "x" * 65, "a b", "a/b", "a:b", "ä", "a\nb"]:
            with self.assertRaises(K.NameRefused):
                K.iam_to_local(bad)
        # 17 uppercase letters need 34 characters: refused, never truncated.
        with self.assertRaises(K.NameRefused):
            K.iam_to_local("ABCDEFGHIJKLMNOPQ")
        self.assertEqual(len(K.iam_to_local("a" * 32)), 32)
        with self.assertRaises(K.NameRefused):
            K.iam_to_local("a" * 33)

    def test_non_images_do_not_map_back(self):
        for local in ["root1", "1abc", ".x", "-x", "_", "a_", "_9", "_.a", "a_.b", "A", "x" * 33, "", "a b", "a_Z"]:
            if local == "root1":
                self.assertEqual(K.local_to_iam(local), "root1")
                continue
            self.assertIsNone(K.local_to_iam(local), local)

    def test_reserved_names_listed(self):
        for n in ["root", "daemon", "nobody", "sshd", "kiln-keys", "ec2-user", "ubuntu", "admin"]:
            self.assertIn(n, K.RESERVED_NAMES)


class UidTest(unittest.TestCase):
    R = (200000, 299999)

    def test_stable_and_in_range(self):
        for i in range(2000):
            uid = K.derive_uid("AIDA%016d" % i, self.R)
            self.assertTrue(self.R[0] <= uid <= self.R[1])
            self.assertEqual(uid, K.derive_uid("AIDA%016d" % i, self.R))
        # a known value pins the derivation: every instance, every release
        self.assertEqual(K.derive_uid("AIDAEXAMPLE", self.R), K.derive_uid("AIDAEXAMPLE", (200000, 299999)))

    def test_probe_skips_taken(self):
        uid = K.derive_uid("AIDAX", self.R)
        self.assertEqual(K.assign_uid("AIDAX", self.R, set()), uid)
        self.assertEqual(K.assign_uid("AIDAX", self.R, {uid}), uid + 1 if uid < self.R[1] else self.R[0])
        self.assertEqual(K.assign_uid("AIDAX", self.R, {uid, uid + 1, uid + 2}), uid + 3)

    def test_probe_wraps_and_full_range_fails(self):
        small = (300000, 300004)
        taken = set(range(300000, 300005))
        with self.assertRaises(K.KilnError):
            K.assign_uid("u", small, taken)
        taken.discard(300000)
        self.assertEqual(K.assign_uid("u", small, taken), 300000)


class SigV4Test(unittest.TestCase):
    """AWS SigV4 test suite vectors (aws-sig-v4-test-suite, AKIDEXAMPLE, 20150830T123600Z)."""

    def sign(self, method, url, headers, body):
        return K.sign_v4(method, url, headers, body, AK, SK, "us-east-1", "service", now=SUITE_DATE)["Authorization"]

    def test_get_vanilla(self):
        self.assertEqual(
            self.sign("GET", "https://example.amazonaws.com/", {"Host": "example.amazonaws.com"}, b""),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        )

    def test_get_vanilla_query_order(self):
        self.assertTrue(self.sign("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1",
                                  {"Host": "example.amazonaws.com"}, b"").endswith(
            "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"))

    def test_post_vanilla(self):
        self.assertTrue(self.sign("POST", "https://example.amazonaws.com/", {"Host": "example.amazonaws.com"}, b"")
                        .endswith("Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"))

    def test_post_x_www_form_urlencoded(self):
        self.assertEqual(
            self.sign("POST", "https://example.amazonaws.com/",
                      {"Host": "example.amazonaws.com", "Content-Type": "application/x-www-form-urlencoded"},
                      b"Param1=value1"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        )

    def test_session_token_signed_and_scope_iam(self):
        h = K.sign_v4("POST", "https://iam.amazonaws.com/", {"Host": "iam.amazonaws.com"}, b"Action=ListUsers",
                      AK, SK, "us-east-1", "iam", session_token="TOKEN", now=SUITE_DATE)
        self.assertEqual(h["X-Amz-Security-Token"], "TOKEN")
        self.assertIn("/20150830/us-east-1/iam/aws4_request", h["Authorization"])
        self.assertIn("x-amz-security-token", h["Authorization"])
        self.assertNotIn(SK, repr(h))


def page(action, members, truncated=None, marker=None, list_tag="Users", key="UserName"):
    m = "".join("<member><%s>%s</%s><UserId>ID%s</UserId></member>" % (key, x, key, x) for x in members)
    extra = ""
    if truncated is not None:
        extra += "<IsTruncated>%s</IsTruncated>" % truncated
    if marker is not None:
        extra += "<Marker>%s</Marker>" % marker
    return ('<{a}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><{a}Result><{l}>{m}</{l}>{e}'
            '</{a}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{a}Response>'
            ).format(a=action, l=list_tag, m=m, e=extra).encode()


class FakePost(object):
    def __init__(self, pages):
        self.pages = list(pages)
        self.bodies = []

    def __call__(self, body):
        self.bodies.append(body)
        return K.parse_xml(self.pages.pop(0))


def client(pages):
    cfg = dict(K.DEFAULTS)
    return K.IamClient(cfg, K.Credentials("a", "b"), K.Deadline(5), post=FakePost(pages))


class XmlAndPaginationTest(unittest.TestCase):
    def test_namespaces_stripped_and_error_parsed(self):
        root = K.parse_xml(page("GetGroup", ["a"]))
        self.assertEqual(root.tag, "GetGroupResponse")
        code, msg = K.xml_error(b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
                                b'<Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>')
        self.assertEqual((code, msg), ("Throttling", "Rate exceeded"))
        self.assertEqual(K.xml_error(b"not xml"), (None, None))
        with self.assertRaises(K.KilnError):
            K.parse_xml(b"<unclosed>")

    def test_all_pages_followed(self):
        c = client([page("GetGroup", ["a", "b"], "true", "M1"), page("GetGroup", ["c"], "true", "M2"),
                    page("GetGroup", ["d"], "false")])
        self.assertEqual([n for n, _ in c.get_group_members("g")], ["a", "b", "c", "d"])
        self.assertIn("Marker=M1", c._post.bodies[1])
        self.assertIn("Marker=M2", c._post.bodies[2])
        self.assertEqual(c.calls["GetGroup"], 3)

    def test_truncated_without_marker_is_an_error(self):
        with self.assertRaises(K.KilnError):
            client([page("GetGroup", ["a"], "true")]).get_group_members("g")

    def test_repeated_marker_is_an_error(self):
        with self.assertRaises(K.KilnError):
            client([page("GetGroup", ["a"], "true", "M"), page("GetGroup", ["b"], "true", "M")]).get_group_members("g")

    def test_duplicate_member_is_an_error(self):
        with self.assertRaises(K.KilnError):
            client([page("GetGroup", ["a"], "true", "M"), page("GetGroup", ["A"], "false")]).get_group_members("g")

    def test_missing_result_is_an_error(self):
        with self.assertRaises(K.KilnError):
            client([b"<GetGroupResponse/>"]).get_group_members("g")

    def test_ssh_keys_listing(self):
        xml = page("ListSSHPublicKeys", [], "false", list_tag="SSHPublicKeys").replace(
            b"<SSHPublicKeys></SSHPublicKeys>",
            b"<SSHPublicKeys><member><SSHPublicKeyId>K1</SSHPublicKeyId><Status>Active</Status></member>"
            b"<member><SSHPublicKeyId>K2</SSHPublicKeyId><Status>Inactive</Status></member></SSHPublicKeys>")
        self.assertEqual(client([xml]).list_ssh_public_keys("u"), [("K1", "Active"), ("K2", "Inactive")])


ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZ2Vl1LJDQa7Ic0YTmr5H3i2QnDbDHvXwWqCuzlwpFi"


class KeyValidationTest(unittest.TestCase):
    ALLOWED = list(K.DEFAULTS["allowedKeyTypes"])

    def test_good_key_and_fingerprint(self):
        t, b, fp = K.validate_key(ED + " someone@host\n", self.ALLOWED)
        self.assertEqual(t, "ssh-ed25519")
        self.assertTrue(fp.startswith("SHA256:") and not fp.endswith("="))
        import base64, hashlib
        self.assertEqual(fp[7:], base64.b64encode(hashlib.sha256(base64.b64decode(b)).digest()).decode().rstrip("="))

    def test_rejections(self):
        bad = [
            'command="/bin/sh" ' + ED,  # options
            ED + "\nssh-ed25519 AAAA",  # two lines
            ED.replace(" ", "\t", 1) + "\x01",  # control character
            "ssh-dss " + ED.split()[1],  # type not allowed
            "ssh-rsa " + ED.split()[1],  # embedded type mismatch
            "ssh-ed25519 !!notbase64!!",
            "ssh-ed25519",
            "",
        ]
        for b in bad:
            with self.assertRaises(ValueError, msg=repr(b)):
                K.validate_key(b, self.ALLOWED)
        with self.assertRaises(ValueError):
            K.validate_key(ED, ["ssh-rsa"])


class CacheFileTest(unittest.TestCase):
    def test_atomic_write_mode_and_trust(self):
        d = tempfile.mkdtemp()
        p = os.path.join(d, "u.json")
        old = os.umask(0)
        try:
            K.atomic_write(p, b'{"t": 1}', 0o600)
        finally:
            os.umask(old)
        self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600)
        self.assertEqual(K.read_json_private(p), {"t": 1})
        K.atomic_write(p, b'{"t": 2}', 0o600)
        self.assertEqual(K.read_json_private(p), {"t": 2})
        self.assertEqual([f for f in os.listdir(d)], ["u.json"])  # no temp files left
        os.chmod(p, 0o666)
        self.assertIsNone(K.read_json_private(p))  # writable by others: not trusted
        os.chmod(p, 0o600)
        os.symlink(p, p + ".link")
        self.assertIsNone(K.read_json_private(p + ".link"))  # symlinks not followed
        with open(p, "w") as f:
            f.write("garbage")
        self.assertIsNone(K.read_json_private(p))

    def test_rename_is_atomic_on_failure(self):
        d = tempfile.mkdtemp()
        p = os.path.join(d, "u.json")
        K.atomic_write(p, b"{}", 0o600)

        class Boom(Exception):
            pass

        real = os.fsync

        def fail(fd):
            raise Boom()

        os.fsync = fail
        try:
            with self.assertRaises(Boom):
                K.atomic_write(p, b'{"half": true}', 0o600)
        finally:
            os.fsync = real
        self.assertEqual(K.read_json_private(p), {})
        self.assertEqual(os.listdir(d), ["u.json"])


class ConfigTest(unittest.TestCase):
    def test_env_overrides(self):
        d = tempfile.mkdtemp()
        p = os.path.join(d, "a.json")
        with open(p, "w") as f:
            f.write('{"iamEndpoint": "https://file", "deadline": 2}')
        c = K.load_config(p, {})
        self.assertEqual((c["iamEndpoint"], c["deadline"], c["keyCacheTtl"]), ("https://file", 2, 60))
        c = K.load_config(p, {"AWS_ENDPOINT_URL": "http://generic", "AWS_REGION": "eu-west-1"})
        self.assertEqual((c["iamEndpoint"], c["stsEndpoint"], c["region"]), ("http://generic", "http://generic", "eu-west-1"))
        c = K.load_config(p, {"AWS_ENDPOINT_URL": "http://generic", "AWS_ENDPOINT_URL_IAM": "http://iam"})
        self.assertEqual(c["iamEndpoint"], "http://iam")

    def test_credentials_repr_hides_secrets(self):
        c = K.Credentials("AKIA", "SECRET", "TOKEN")
        self.assertNotIn("SECRET", repr(c))
        self.assertNotIn("TOKEN", repr(c))


class LeanHelpersTest(unittest.TestCase):
    def test_sha256_and_hmac_match_stdlib(self):
        import hashlib
        import hmac
        rnd = random.Random(5)
        for n in (0, 1, 63, 64, 65, 200):
            key = bytes(rnd.randrange(256) for _ in range(n))
            msg = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 300)))
            self.assertEqual(K.hmac_sha256(key, msg), hmac.new(key, msg, hashlib.sha256).digest())
            self.assertEqual(K.sha256(msg).hexdigest(), hashlib.sha256(msg).hexdigest())

    def test_json_roundtrip_matches_stdlib(self):
        import json
        doc = {"b": [1, 2.5, True, False, None, "x\u00e9\n\"q\""], "a": {"z": "", "y": -3}, "c": []}
        self.assertEqual(K.loads(K.dumps(doc)), doc)
        self.assertEqual(K.dumps(doc), json.dumps(doc, sort_keys=True, separators=(",", ":")))
        self.assertEqual(K.loads('  {"k": [1, {"n": null}]}\n'), {"k": [1, {"n": None}]})
        for bad in ['{"a": 1} x', "{", "", "[1,]"]:
            with self.assertRaises(ValueError):
                K.loads(bad)

    def test_urlencode_and_split(self):
        self.assertEqual(K.urlencode([("Action", "GetGroup"), ("GroupName", "a b+c/d~é")]),
                         "Action=GetGroup&GroupName=a%20b%2Bc%2Fd~%C3%A9")
        self.assertEqual(K.urlsplit("http://127.0.0.1:5000/x?y=1"), ("http", "127.0.0.1", 5000, "/x", "y=1"))
        self.assertEqual(K.urlsplit("https://iam.amazonaws.com"), ("https", "iam.amazonaws.com", 443, "/", ""))
        self.assertEqual(K.urlsplit("http://[::1]:8080/"), ("http", "::1", 8080, "/", ""))

    def test_xml_tree(self):
        r = K.parse_xml(b'<?xml version="1.0"?><A xmlns="urn:x"><B><C>1</C><C>2</C></B><D/></A>')
        self.assertEqual([c.text for c in r.findall("B/C")], ["1", "2"])
        self.assertEqual(r.find(".//C").text, "1")
        self.assertEqual(r.findtext("D"), "")
        self.assertIsNone(r.findtext("E"))
        with self.assertRaises(K.KilnError):
            K.parse_xml(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')


def imported_modules(argv):
    """Modules a program imports (python -X importtime), and its exit status and output."""
    import subprocess
    import kilntest as T
    r = subprocess.run([T.SYSTEM_PYTHON, "-IS", "-X", "importtime"] + argv, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    mods = set()
    for line in r.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            mods.add(line.rsplit("|", 1)[1].strip())
    return mods, r.returncode, r.stdout.decode()


# What the key command's cached path must not load: each costs start-up time (see kiln_iam).
HEAVY = {"os", "json", "re", "enum", "urllib", "urllib.request", "http.client", "xml.etree.ElementTree",
         "hashlib", "hmac", "_hashlib", "encodings.idna", "socket", "ssl", "subprocess", "datetime"}


class KeyCommandImportsTest(unittest.TestCase):
    def test_cached_path_imports_nothing_heavy(self):
        import shutil
        import time as _time
        import kilntest as T
        root = T.make_root()
        try:
            T.add_local_user(root, "alice", 200500, ("kiln-iam",))
            cache = os.path.join(root, "var/cache/kiln/keys")
            os.makedirs(cache, 0o700)
            T.publish(root, {"alice": ("AIDAALICE", 200500)})
            conf = T.write_config(os.path.join(root, "access.json"), keyCacheTtl=3600)
            t, b, fp = K.validate_key(ED, ["ssh-ed25519"])
            K.atomic_write(os.path.join(cache, "alice.json"), K.dumps({
                "t": _time.time(), "iam": "alice", "userId": "AIDAALICE", "status": "ok", "keys": ["K1"],
                "known": {"K1": {"line": t + " " + b, "fp": fp}}}).encode(), 0o600)
            mods, rc, out = imported_modules([T.KEY_COMMAND, "--config", conf, "--root", root, "alice", fp])
            self.assertEqual((rc, out), (0, t + " " + b + "\n"))
            self.assertTrue({"kiln_iam", "kiln_keys"} <= mods, mods)
            self.assertEqual(mods & HEAVY, set())
            # the cache boundary: no AWS code (signing, HTTP, XML, IAM client) is loaded
            self.assertEqual(mods & {"kiln_aws", "kiln_http", "kiln_accounts", "kiln_sync", "pyexpat", "_socket"}, set())
        finally:
            shutil.rmtree(root, ignore_errors=True)


class ImdsTest(unittest.TestCase):
    """IMDSv2 credentials and instance tags, against fake_imds on loopback."""

    def setUp(self):
        import threading
        import fake_imds
        self.srv = fake_imds.serve(0, {"kiln:iamGroups": "team-a, team-b"})
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.ep = "http://127.0.0.1:%d" % self.srv.server_address[1]

    def tearDown(self):
        self.srv.shutdown()
        self.srv.server_close()

    def test_credentials_via_token(self):
        c = K.imds_credentials(self.ep, K.Deadline(5))
        self.assertEqual((c.access_key, c.token, c.source), ("ASIAKILNTEST", "kiln-test-session-token", "imds"))
        self.assertTrue(c.fresh())

    def test_env_credentials_win(self):
        import os
        cfg = dict(K.DEFAULTS, metadataEndpoint="http://127.0.0.1:9")  # never asked
        old = dict(os.environ)
        os.environ.update(AWS_ACCESS_KEY_ID="AK", AWS_SECRET_ACCESS_KEY="SK")
        try:
            self.assertEqual(K.get_credentials(cfg, K.Deadline(1)).source, "env")
        finally:
            os.environ.clear()
            os.environ.update(old)

    def test_groups_from_tags(self):
        cfg = dict(K.DEFAULTS, groupsFromTags=True, metadataEndpoint=self.ep)
        self.assertEqual(K.effective_groups(cfg), (["team-a", "team-b"], []))  # sudo tag absent: the default, none
        self.assertEqual(K.effective_groups(dict(cfg, groupsFromTags=False)), (["ssh-admins"], []))

    def test_sudo_groups_default_is_none(self):
        self.assertEqual(K.DEFAULTS["sudoGroups"], [])  # as the plugin's default: sudo only when asked for


if __name__ == "__main__":
    unittest.main()
