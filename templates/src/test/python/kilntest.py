"""Shared helpers for Kiln's access tests (standard library only).

- ACCESS: the directory of the on-instance programs (templates/.../access).
- Moto: starts moto_server on 127.0.0.1:<free port> (optionally inside a network namespace), by PID.
- FaultProxy: an http.server in front of moto that injects throttling, 5xx, slowness, truncated or
  duplicated pages, and counts IAM calls per Action.
- make_root(): a throwaway root (etc/passwd, group, shadow, gshadow, login.defs) for
  `useradd --root`, so no test creates users on the host.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ACCESS = os.path.normpath(os.path.join(HERE, "..", "..", "main", "resources", "kiln", "templates", "access"))
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, ACCESS)
import kiln_accounts  # noqa: E402
import kiln_aws  # noqa: E402
import kiln_http  # noqa: E402
import kiln_iam  # noqa: E402
import kiln_keys  # noqa: E402
import kiln_homes  # noqa: E402
import kiln_policy  # noqa: E402
import kiln_sync  # noqa: E402
import kiln_syncops  # noqa: E402


class _Modules(object):
    """K.name: `name` from the first of the on-instance modules that defines it (the tests were
    written against one module; the code is now split at the key command's cache boundary)."""

    MODULES = (kiln_iam, kiln_keys, kiln_http, kiln_aws, kiln_accounts, kiln_policy, kiln_homes, kiln_syncops,
               kiln_sync)

    def __getattr__(self, name):
        for m in self.MODULES:
            if hasattr(m, name):
                return getattr(m, name)
        raise AttributeError(name)


K = _Modules()
# Every file installed in /usr/libexec/kiln by the bundle (templates/bundle.yaml).
PROGRAM_FILES = (("authorized-keys", 0o755), ("sync-users", 0o755), ("kiln_iam.py", 0o644), ("kiln_keys.py", 0o644),
                 ("kiln_http.py", 0o644), ("kiln_aws.py", 0o644), ("kiln_accounts.py", 0o644),
                 ("kiln_sync.py", 0o644), ("kiln_syncops.py", 0o644), ("kiln_policy.py", 0o644),
                 ("kiln_homes.py", 0o644), ("kiln_eic.py", 0o644))

# The programs run from a private copy (as on the instance: one directory, root-owned), so that the
# bytecode they write never lands in the source tree.
import atexit  # noqa: E402

RUN_DIR = tempfile.mkdtemp(prefix="kiln-libexec-")
os.chmod(RUN_DIR, 0o755)
for _f, _mode in PROGRAM_FILES:
    shutil.copy(os.path.join(ACCESS, _f), os.path.join(RUN_DIR, _f))
    os.chmod(os.path.join(RUN_DIR, _f), _mode)
atexit.register(shutil.rmtree, RUN_DIR, True)
KEY_COMMAND = os.path.join(RUN_DIR, "authorized-keys")
SYNC = os.path.join(RUN_DIR, "sync-users")
SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def moto_binary():
    for c in (shutil.which("moto_server"), os.path.expanduser("~/.pyenv/shims/moto_server")):
        if c and os.path.exists(c):
            return c
    return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Moto(object):
    """moto_server started by PID (optionally via `ip netns exec NS`), stopped by PID."""

    def __init__(self, netns=None, port=None):
        self.netns = netns
        self.port = port or free_port()
        self.proc = None
        self.url = "http://127.0.0.1:%d" % self.port

    def start(self):
        binary = moto_binary()
        if binary is None:
            raise RuntimeError("moto_server not found")
        cmd = [binary, "-H", "127.0.0.1", "-p", str(self.port)]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        if self.netns:
            return self  # readiness is polled from inside the namespace by the caller
        end = time.time() + 20
        while time.time() < end:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).read()
                return self
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError("moto_server exited")
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not become ready")

    def reset(self):
        req = urllib.request.Request(self.url + "/moto-api/reset", data=b"", method="POST")
        urllib.request.urlopen(req, timeout=5).read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # moto_server may be a shim (bash -> pyenv -> python); kill the session we started.
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait(5)
        self.proc = None
        if getattr(self, "log", None) is not None:
            self.log.close()
            self.log = None


def iam_env(endpoint):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("AWS_"):
            del env[k]
    env.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_IAM": endpoint,
        "AWS_ENDPOINT_URL_STS": endpoint,
        "KILN_LOG_STDERR": "1",
    })
    return env


class Iam(object):
    """Test-side IAM client (the program's own client, pointed at moto)."""

    def __init__(self, endpoint):
        cfg = K.load_config("/nonexistent", {"AWS_ENDPOINT_URL_IAM": endpoint})
        self.c = K.IamClient(cfg, K.Credentials("testing", "testing"), K.Deadline(60))

    def __getattr__(self, action):
        def call(**params):
            return self.c.call(action, dict((k, str(v)) for k, v in params.items()))
        return call

    def user_in_group(self, user, group, create_group=True):
        try:
            self.CreateUser(UserName=user)
        except K.AwsError as e:
            if e.code != "EntityAlreadyExists":
                raise
        if create_group:
            try:
                self.CreateGroup(GroupName=group)
            except K.AwsError as e:
                if e.code != "EntityAlreadyExists":
                    raise
        self.AddUserToGroup(UserName=user, GroupName=group)

    def upload(self, user, pubkey_text):
        r = self.UploadSSHPublicKey(UserName=user, SSHPublicKeyBody=pubkey_text)
        return r.find(".//SSHPublicKeyId").text


def keypair(directory, name="id", ktype="ed25519"):
    path = os.path.join(directory, name)
    subprocess.run(["ssh-keygen", "-q", "-t", ktype, "-N", "", "-C", "test@kiln", "-f", path], check=True)
    with open(path + ".pub") as f:
        pub = f.read()
    fp = K.validate_key(pub, [pub.split()[0]])[2]
    return path, pub, fp


# ---------------------------------------------------------------------------------------------------
# Throwaway root for useradd --root

BASE_PASSWD = """root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
admin:x:1000:1000:local admin:/home/admin:/bin/bash
"""
BASE_GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
users:x:100:
nogroup:x:65534:
admin:x:1000:
"""


def make_root(parent=None):
    root = tempfile.mkdtemp(prefix="kiln-root-", dir=parent)
    os.makedirs(os.path.join(root, "etc"))
    os.makedirs(os.path.join(root, "home"))
    os.makedirs(os.path.join(root, "etc/sudoers.d"))
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write(BASE_PASSWD)
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write(BASE_GROUP)
    with open(os.path.join(root, "etc/shadow"), "w") as f:
        f.write("".join("%s:*:19000:0:99999:7:::\n" % l.split(":")[0] for l in BASE_PASSWD.splitlines()))
    with open(os.path.join(root, "etc/gshadow"), "w") as f:
        f.write("".join("%s:*::\n" % l.split(":")[0] for l in BASE_GROUP.splitlines()))
    os.chmod(os.path.join(root, "etc/shadow"), 0o640)
    os.chmod(os.path.join(root, "etc/gshadow"), 0o640)
    if os.path.exists("/etc/login.defs"):
        shutil.copy("/etc/login.defs", os.path.join(root, "etc/login.defs"))
    return root


def add_local_user(root, name, uid, groups=()):
    """Appends an account directly to root/etc/passwd (for key-command tests)."""
    with open(os.path.join(root, "etc/passwd"), "a") as f:
        f.write("%s:x:%d:%d::/home/%s:/bin/bash\n" % (name, uid, uid, name))
    with open(os.path.join(root, "etc/group"), "r") as f:
        lines = f.read().splitlines()
    out = []
    present = set()
    for line in lines:
        p = line.split(":")
        present.add(p[0])
        if p[0] in groups:
            members = [m for m in p[3].split(",") if m] + [name]
            line = ":".join(p[:3] + [",".join(members)])
        out.append(line)
    for g in groups:
        if g not in present:
            out.append("%s:x:%d:%s" % (g, 190000 + len(out), name))
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("\n".join(out) + "\n")


def publish(root, accounts, groups=None, cache="var/cache/kiln/keys"):
    """Adds {local: (UserId, uid)} to the file the sync publishes for the key command
    (cacheDir/.sync.json), as a sync run that created those accounts would."""
    d = os.path.join(root, cache)
    os.makedirs(d, 0o700, exist_ok=True)
    path = os.path.join(d, K.PUBLISHED)
    doc = K.read_json_private(path, owners=(0, os.geteuid())) or {"iamGroups": [], "sudoGroups": [], "accounts": {}}
    for local, (user_id, uid) in accounts.items():
        doc["accounts"][local] = {"userId": user_id, "uid": uid}
    if groups is not None:
        doc["iamGroups"] = list(groups)
    K.atomic_write(path, K.dumps(doc).encode(), 0o644)


def fake_visudo(directory):
    """A stand-in for `visudo -cf FILE` when sudo is not installed: accepts only Kiln's line."""
    real = shutil.which("visudo") or ("/usr/sbin/visudo" if os.path.exists("/usr/sbin/visudo") else None)
    if real:
        return real
    path = os.path.join(directory, "visudo")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n[ \"$1\" = -cf ] || exit 2\n"
                "grep -v '^#' \"$2\" | grep -Eqx '[a-z_][a-z0-9_.-]* ALL=\\(ALL:ALL\\) NOPASSWD: ALL'\n")
    os.chmod(path, 0o755)
    return path


def write_config(path, **over):
    cfg = dict(K.DEFAULTS)
    cfg.update(over)
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def run_key_command(config, root, user, fp=None, env=None, timeout=30):
    argv = [SYSTEM_PYTHON, "-IS", KEY_COMMAND, "--config", config, "--root", root, user]
    if fp:
        argv.append(fp)
    t = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode(), time.monotonic() - t


def run_sync(config, root, env, visudo, extra=(), timeout=120):
    argv = [SYSTEM_PYTHON, "-IS", SYNC, "--config", config, "--root", root, "--visudo", visudo] + list(extra)
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


# ---------------------------------------------------------------------------------------------------
# Fault-injecting proxy in front of moto


class FaultProxy(object):
    """Forwards POSTs to `upstream`; `rules` is a list of dicts {action, mode, after, seconds}:
    mode = throttle | 5xx | slow | truncate | duplicate. `after` = number of matching calls passed
    through before the fault applies (0 = from the first)."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.rules = []
        self.calls = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                m = re.search(rb"(?:^|&)Action=([A-Za-z]+)", body)
                action = m.group(1).decode() if m else "?"
                with proxy.lock:
                    count = proxy.calls.get(action, 0)
                    proxy.calls[action] = count + 1
                    rule = None
                    for r in proxy.rules:
                        if r.get("action") in (None, action) and count >= r.get("after", 0):
                            rule = r
                            break
                mode = rule["mode"] if rule else None
                if mode == "throttle":
                    return self._send(400, b'<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>'
                                           b'<Message>Rate exceeded</Message></Error></ErrorResponse>')
                if mode == "5xx":
                    return self._send(503, b"<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>")
                if mode == "slow":
                    time.sleep(rule.get("seconds", 10))
                try:
                    status, data = proxy._forward(self.path, body, dict(self.headers))
                except OSError:
                    status, data = 502, b"<ErrorResponse><Error><Code>BadGateway</Code></Error></ErrorResponse>"
                if mode == "truncate" and status == 200:
                    data = re.sub(rb"<IsTruncated>[^<]*</IsTruncated>", b"", data)
                    data = re.sub(rb"<Marker>[^<]*</Marker>", b"", data)
                    data = re.sub(rb"(</[A-Za-z]+Result>)", rb"<IsTruncated>true</IsTruncated>\1", data, count=1)
                if mode == "duplicate" and status == 200:
                    data = re.sub(rb"(<member>.*?</member>)", rb"\1\1", data, count=1, flags=re.S)
                self._send(status, data)

            def _send(self, status, data):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _forward(self, path, body, headers):
        import http.client
        from urllib.parse import urlsplit

        u = urlsplit(self.upstream)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        try:
            h = dict((k, v) for k, v in headers.items() if k.lower() not in ("host", "connection"))
            h["Host"] = u.netloc
            c.request("POST", path, body=body, headers=h)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def total(self):
        with self.lock:
            return sum(self.calls.values())
