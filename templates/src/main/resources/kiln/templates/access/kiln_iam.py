"""Kiln IAM access, the core shared by every on-instance program: configuration, JSON, logging,
the IAM-name <-> Linux-name mapping, account-file lookups and private files.

The modules, split at the key command's cache boundary (each file is reviewed on its own):

    kiln_iam.py       this core; all the key command loads when it answers from its cache
    kiln_keys.py      the key command (sshd's AuthorizedKeysCommand): cache, single flight, decision
    kiln_http.py      deadline-bound HTTP on _socket, XML; loaded only on a cache miss or by the sync
    kiln_aws.py       SigV4, IMDSv2, credentials, the IAM client, key validation; likewise
    kiln_accounts.py  the account database, changed in one batch per sync run
    kiln_policy.py    the names the sync refuses, UIDs (derived, retired)
    kiln_homes.py     home directories (built on directory descriptors) and bounded archives
    kiln_syncops.py   the sync's local operations: state, sudoers, published file, deletions
    kiln_sync.py      the user sync (sync-users): ownership, plan, the run

Standard library only, Python 3.9+. Modules that cost start-up time (ssl, xml.etree, subprocess,
...) are imported inside the functions that need them; json, urllib, http.client, hashlib and hmac
are not used on the key command's path at all (they import re, enum, email, OpenSSL: ~30 ms), `os`
is loaded lazily (the cached path uses `posix`). The cached path loads kiln_iam, kiln_keys, _json
and syslog and pays for little more than the interpreter (`python3 -IS`: ~8 ms); see
docs/benchmarks-access.md.

Configuration: /etc/kiln/access.json (keys in docs/contracts.md). The standard AWS environment
variables override it: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL.

Nothing in these modules ever logs key material or credentials.
"""


import posix as _posix
import sys
import time


class _LazyOs(object):
    """`os` imported at its first use. `os` costs ~1.5 ms of interpreter start-up (posixpath, stat,
    _collections_abc) and the key command's cached path needs none of it: it uses `posix` directly
    (_join, _getenv, read_json_private). Every other function uses `os` as usual."""

    def __getattr__(self, name):
        import os as real

        globals()["os"] = real
        return getattr(real, name)


os = _LazyOs()


def _join(base, rel):
    """os.path.join(base, rel) for a relative `rel`."""
    if not base:
        return rel
    return base + rel if base.endswith("/") else base + "/" + rel


def _environ():
    """os.environ when `os` is loaded (it reflects changes made through it), else a str copy of
    posix.environ (bytes on POSIX)."""
    real = sys.modules.get("os")
    if real is not None:
        return real.environ
    return dict((k.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape"))
                for k, v in _posix.environ.items())


DEFAULTS = {
    "allowedKeyTypes": [
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-rsa",
    ],
    "assumeRole": None,
    "cacheDir": "/var/cache/kiln/keys",
    "deadline": 3,
    "deleteAfterRuns": 3,
    "groupsFromTags": False,
    "iamEndpoint": "https://iam.amazonaws.com",
    "iamGroups": ["ssh-admins"],
    "keepHome": True,
    "keyCacheTtl": 60,
    "localGroups": [],
    "markerGroup": "kiln-iam",
    "metadataEndpoint": "http://169.254.169.254",
    "negativeCacheTtl": 300,
    "region": "us-east-1",
    "staleIfError": 0,
    "stateDir": "/var/lib/kiln",
    "stsEndpoint": "https://sts.amazonaws.com",
    "sudoGroups": [],
    "syncInterval": 600,
    "uidRange": [200000, 299999],
}

DEFAULT_CONFIG = "/etc/kiln/access.json"

# Names the sync never creates, whether or not they exist on this machine (in addition to every
# existing account that is not in the marker group, and every account with a UID below uidRange).

class KilnError(Exception):
    """An error that stops a run (sync: nothing changed; key command: fail closed)."""


class AwsError(KilnError):
    def __init__(self, code, message="", status=None):
        KilnError.__init__(self, "%s%s%s" % (code, ": " if message else "", message))
        self.code = code
        self.status = status


class DeadlineExceeded(KilnError):
    pass


class NameRefused(Exception):
    pass


# --------------------------------------------------------------------------------------------------
# JSON without the `json` package (it imports `re`, `enum`, ...: ~7 ms of the key command's cached
# path). The C scanner/encoder helpers of CPython's _json are used directly; `json` is the fallback.


class _ScanContext(object):
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
    memo = None


_scanner = None


def loads(text):
    global _scanner
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        if _scanner is None:
            from _json import make_scanner

            _scanner = make_scanner(_ScanContext())
    except ImportError:
        import json

        return json.loads(text)
    i = 0
    n = len(text)
    while i < n and text[i] in " \t\r\n":
        i += 1
    try:
        value, end = _scanner(text, i)
    except StopIteration:
        raise ValueError("invalid JSON")
    while end < n and text[end] in " \t\r\n":
        end += 1
    if end != n:
        raise ValueError("extra data after JSON value")
    return value


def dumps(obj):
    """Canonical JSON (sorted keys) of dict/list/str/int/float/bool/None."""
    try:
        from _json import encode_basestring_ascii as enc
    except ImportError:
        import json

        return json.dumps(obj, sort_keys=True)
    out = []

    def w(o):
        if o is None:
            out.append("null")
        elif o is True:
            out.append("true")
        elif o is False:
            out.append("false")
        elif isinstance(o, str):
            out.append(enc(o))
        elif isinstance(o, int):
            out.append(str(int(o)))
        elif isinstance(o, float):
            out.append(repr(o))
        elif isinstance(o, dict):
            out.append("{")
            for j, k in enumerate(sorted(o)):
                if not isinstance(k, str):
                    raise TypeError("keys must be str")
                if j:
                    out.append(",")
                out.append(enc(k))
                out.append(":")
                w(o[k])
            out.append("}")
        elif isinstance(o, (list, tuple)):
            out.append("[")
            for j, v in enumerate(o):
                if j:
                    out.append(",")
                w(v)
            out.append("]")
        else:
            raise TypeError("cannot serialise %s" % type(o).__name__)

    w(obj)
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# Configuration


def load_config(path=None, environ=None):
    """Reads access.json, fills defaults, applies the AWS environment overrides."""
    environ = _environ() if environ is None else environ
    path = path or DEFAULT_CONFIG
    cfg = dict(DEFAULTS)
    try:
        with open(path, "rb") as f:
            data = loads(f.read())
    except FileNotFoundError:
        data = {}
    except (OSError, ValueError) as e:
        raise KilnError("cannot read config %s: %s" % (path, e))
    if not isinstance(data, dict):
        raise KilnError("config %s is not a JSON object" % path)
    cfg.update(data)
    cfg["region"] = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or cfg["region"]
    generic = environ.get("AWS_ENDPOINT_URL")
    cfg["iamEndpoint"] = environ.get("AWS_ENDPOINT_URL_IAM") or generic or cfg["iamEndpoint"]
    cfg["stsEndpoint"] = environ.get("AWS_ENDPOINT_URL_STS") or generic or cfg["stsEndpoint"]
    lo, hi = cfg["uidRange"]
    if not (isinstance(lo, int) and isinstance(hi, int) and 1000 <= lo < hi):
        raise KilnError("uidRange must be two integers, 1000 <= low < high")
    return cfg


# --------------------------------------------------------------------------------------------------
# Logging (syslog facility authpriv; one line per decision; never secrets)

_log_ident = None


def log(ident, message, level="info"):
    global _log_ident
    import syslog

    if _log_ident != ident:
        syslog.openlog(ident, syslog.LOG_PID, syslog.LOG_AUTHPRIV)
        _log_ident = ident
    prio = {"err": syslog.LOG_ERR, "warning": syslog.LOG_WARNING, "notice": syslog.LOG_NOTICE}.get(
        level, syslog.LOG_INFO
    )
    syslog.syslog(prio, message)
    if _environ().get("KILN_LOG_STDERR"):
        try:
            sys.stderr.write("%s: %s\n" % (ident, message))
            sys.stderr.flush()
        except OSError:
            pass


# --------------------------------------------------------------------------------------------------
# Name mapping


_IAM_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-")
_LOCAL_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_SPECIAL_TO_CODE = {"_": "_", "@": "0", "+": "1", "=": "2", ",": "3"}
_CODE_TO_SPECIAL = dict((v, k) for k, v in _SPECIAL_TO_CODE.items())
LOCAL_NAME_MAX = 32


def iam_to_local(iam_name):
    """Maps an IAM user name to a Linux user name; raises NameRefused with the reason.

    IAM user names are 1..64 characters of [A-Za-z0-9_+=,.@-] (unique in IAM regardless of case).
    Linux names are built from [a-z0-9._-] only (portable to shadow-utils on every supported
    distribution, lowercase, no character that sudoers, passwd or a shell treats specially), with
    "_" as the escape character:

        a-z 0-9 . -     themselves
        A-Z             "_" + the lowercase letter           Alice      -> _alice
        _               "__"                                 a_b        -> a__b
        @ + = ,         "_0" "_1" "_2" "_3"                  bob@x.com  -> bob_0x.com
        leading 0-9 . - prefixed with the marker "_."        1st        -> _.1st

    Every escape is "_" followed by exactly one character, so decoding is a left-to-right scan and
    the code is prefix-free: the mapping is injective (two IAM names, even differing only in case,
    never share a Linux name) and reversible (local_to_iam). The marker keeps Linux names from
    starting with a digit, "." or "-" (never all-numeric, never an option, never "." or ".."). A
    result longer than 32 characters (the utmp/useradd limit) is refused, not truncated: the sync
    logs the reason and goes on with the other users.
    """
    if not iam_name or len(iam_name) > 64:
        raise NameRefused("IAM name length %d is outside 1..64" % len(iam_name or ""))
    out = []
    if iam_name[0] in "0123456789.-":
        out.append("_.")
    for c in iam_name:
        if c not in _IAM_NAME_CHARS:
            raise NameRefused("IAM name contains a character outside [A-Za-z0-9_+=,.@-]")
        if c in _LOCAL_PLAIN:
            out.append(c)
        elif "A" <= c <= "Z":
            out.append("_" + c.lower())
        else:
            out.append("_" + _SPECIAL_TO_CODE[c])
    local = "".join(out)
    if len(local) > LOCAL_NAME_MAX:
        raise NameRefused("mapped name is %d characters, more than %d" % (len(local), LOCAL_NAME_MAX))
    return local


def local_to_iam(local):
    """Inverse of iam_to_local; None when `local` is not the image of any IAM name."""
    if not local or len(local) > LOCAL_NAME_MAX:
        return None
    i = 0
    n = len(local)
    if local.startswith("_."):
        if n < 3 or local[2] not in "0123456789.-":
            return None
        i = 2
    elif local[0] in "0123456789.-":
        return None
    out = []
    while i < n:
        c = local[i]
        if c == "_":
            if i + 1 >= n:
                return None
            d = local[i + 1]
            if "a" <= d <= "z":
                out.append(d.upper())
            elif d in _CODE_TO_SPECIAL:
                out.append(_CODE_TO_SPECIAL[d])
            else:
                return None
            i += 2
        elif c in _LOCAL_PLAIN:
            out.append(c)
            i += 1
        else:
            return None
    name = "".join(out)
    if not name or len(name) > 64:
        return None
    return name


# --------------------------------------------------------------------------------------------------
# SHA-256 and HMAC-SHA256 from the interpreter's built-in SHA-256 (`hashlib` loads OpenSSL's
# _hashlib and `hmac` imports hashlib: ~3 ms of the key command's cold path).

_sha256_impl = None


def sha256(data=b""):
    global _sha256_impl
    if _sha256_impl is None:
        try:
            from _sha256 import sha256 as impl  # Python 3.9-3.11
        except ImportError:
            try:
                from _sha2 import sha256 as impl  # Python 3.12+
            except ImportError:
                from hashlib import sha256 as impl
        _sha256_impl = impl
    return _sha256_impl(data)

# --------------------------------------------------------------------------------------------------
# Local account database (files, as written by useradd; `root` is "/" or a throwaway root)


def read_passwd(root="/"):
    users = {}
    with open(_join(root, "etc/passwd"), "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split(":")
            if len(p) >= 7 and p[0] and not p[0].startswith(("+", "-")):
                try:
                    users[p[0]] = {"uid": int(p[2]), "gid": int(p[3]), "gecos": p[4], "home": p[5], "shell": p[6]}
                except ValueError:
                    continue
    return users


def read_groups(root="/"):
    groups = {}
    with open(_join(root, "etc/group"), "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split(":")
            if len(p) >= 4 and p[0]:
                try:
                    gid = int(p[2])
                except ValueError:
                    continue
                groups[p[0]] = {"gid": gid, "members": [m for m in p[3].split(",") if m]}
    return groups


def lookup_user(root, name):
    """(uid, gid, shell) of `name` from root/etc/passwd, scanning only until found; None if absent
    or malformed."""
    prefix = name + ":"
    with open(_join(root, "etc/passwd"), "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(prefix):
                p = line.rstrip("\n").split(":")
                try:
                    return int(p[2]), int(p[3]), p[6]
                except (IndexError, ValueError):
                    return None
    return None


# The file the sync publishes for the key command (in cacheDir, which only kiln-keys and root can
# read; the sync's stateDir is root's alone): the IAM groups in force (groupsFromTags) and the
# accounts the sync owns and has not locked, {local: {"userId", "uid"}}. Local names never start
# with ".", so it never collides with a user's cache file.
PUBLISHED = ".sync.json"


def read_published(cache_dir):
    """The sync's published file: a regular file owned by root or the caller, writable by no one
    else; None when absent or untrustworthy."""
    return read_json_private(_join(cache_dir, PUBLISHED), owners=(0, _posix.geteuid()))


def group_members(root, group):
    prefix = group + ":"
    with open(_join(root, "etc/group"), "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(prefix):
                p = line.rstrip("\n").split(":")
                return (int(p[2]), [m for m in p[3].split(",") if m]) if len(p) >= 4 else None
    return None


def under_root(root, path):
    if root in (None, "", "/"):
        return path
    return _join(root, path.lstrip("/"))


# --------------------------------------------------------------------------------------------------
# Files


def atomic_write(path, data, mode=0o600):
    """Writes `data` (bytes) to a temporary file in the same directory (created with `mode`, owned by
    the calling user), fsyncs it and renames it over `path`."""
    d = os.path.dirname(path) or "."
    tmp = os.path.join(d, ".%s.%d.%d.tmp" % (os.path.basename(path), os.getpid(), int(time.monotonic() * 1e6)))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.close(fd)
    try:
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_json_private(path, owners=None):
    """Reads a JSON file only if it is a regular file owned by the calling user (or one of `owners`)
    and writable by no one else (a cache another user could plant is never trusted); None
    otherwise."""
    try:
        # O_NONBLOCK: a FIFO planted in its place must not hang the reader.
        fd = _posix.open(path, _posix.O_RDONLY | _posix.O_NONBLOCK | getattr(_posix, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = _posix.fstat(fd)
        if st.st_uid not in (owners or (_posix.geteuid(),)) or st.st_mode & 0o022 or (st.st_mode & 0o170000) != 0o100000:
            return None
        chunks = []
        while True:
            b = _posix.read(fd, 65536)
            if not b:
                break
            chunks.append(b)
    finally:
        _posix.close(fd)
    try:
        v = loads(b"".join(chunks))
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


