"""Kiln IAM access: code shared by /usr/libexec/kiln/authorized-keys and /usr/libexec/kiln/sync-users.

Standard library only, Python 3.9+. Modules that cost start-up time (ssl, xml.etree, subprocess,
...) are imported inside the functions that need them; json, urllib, http.client, hashlib and hmac
are not used on the key command's path at all (they import re, enum, email, OpenSSL: ~30 ms), `os`
is loaded lazily (the cached path uses `posix`), and host names reach getaddrinfo as bytes (a str
loads the idna codec: re, enum, unicodedata). The cached path loads kiln_iam, _json and syslog and
pays for little more than the interpreter (`python3 -IS`: ~8 ms); see docs/benchmarks-access.md.

Configuration: /etc/kiln/access.json (keys in docs/contracts.md). The standard AWS environment
variables override it: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL.

Nothing in this module ever logs key material or credentials.
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

IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"

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
    "sudoGroups": ["ssh-admins"],
    "syncInterval": 600,
    "uidRange": [200000, 299999],
}

DEFAULT_CONFIG = "/etc/kiln/access.json"

# Names the sync never creates, whether or not they exist on this machine (in addition to every
# existing account that is not in the marker group, and every account with a UID below uidRange).
RESERVED_NAMES = frozenset(
    """root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc gnats
    nobody nogroup systemd-network systemd-resolve systemd-timesync systemd-journal messagebus
    syslog sshd kiln-keys ec2-user ubuntu admin debian centos fedora rocky almalinux cloud-user
    adm halt shutdown operator ftp polkitd chrony tss dbus apt _apt sudo wheel staff users
    kiln-iam""".split()
)


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


def hmac_sha256(key, msg):
    """HMAC (RFC 2104) with SHA-256; equal to hmac.new(key, msg, hashlib.sha256).digest()."""
    if len(key) > 64:
        key = sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in key))
    inner.update(msg)
    outer = sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()


# --------------------------------------------------------------------------------------------------
# UIDs


def derive_uid(user_id, uid_range):
    """The preferred UID of an IAM user: SHA-256 of its UserId (stable on every instance and for
    as long as the IAM user exists), reduced into uidRange (inclusive)."""
    lo, hi = uid_range
    h = int.from_bytes(sha256(("kiln-uid:" + user_id).encode("utf-8")).digest()[:8], "big")
    return lo + h % (hi - lo + 1)


def assign_uid(user_id, uid_range, taken):
    """Derived UID, linearly probed (wrapping inside the range) past every UID in `taken` (UIDs of
    existing accounts and of users assigned earlier in this run); raises KilnError when full."""
    lo, hi = uid_range
    size = hi - lo + 1
    uid = derive_uid(user_id, uid_range)
    for _ in range(size):
        if uid not in taken:
            return uid
        uid = lo + (uid - lo + 1) % size
    raise KilnError("uidRange %d-%d is full" % (lo, hi))


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
    """(uid, gid) of `name` from root/etc/passwd, scanning only until found; None if absent."""
    prefix = name + ":"
    with open(_join(root, "etc/passwd"), "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(prefix):
                p = line.split(":")
                try:
                    return int(p[2]), int(p[3])
                except (IndexError, ValueError):
                    return None
    return None


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


def read_json_private(path):
    """Reads a JSON file only if it is a regular file owned by the calling user and writable by no
    one else (a cache another user could plant is never trusted); None otherwise."""
    try:
        fd = _posix.open(path, _posix.O_RDONLY | getattr(_posix, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = _posix.fstat(fd)
        if st.st_uid != _posix.geteuid() or st.st_mode & 0o022 or (st.st_mode & 0o170000) != 0o100000:
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


# --------------------------------------------------------------------------------------------------
# SSH keys

_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def validate_key(body, allowed_types):
    """Checks one IAM key body; returns (keytype, base64, sha256-fingerprint) or raises ValueError.

    Accepted: one line "<type> <base64> [comment]" with no options, no control characters, a type
    from allowedKeyTypes, base64 that decodes, and whose embedded type string equals <type>. The
    comment is dropped from the printed line."""
    import binascii

    if not isinstance(body, str):
        raise ValueError("not text")
    body = body.strip()
    if not body or len(body) > 16384:
        raise ValueError("empty or too long")
    for ch in body:
        o = ord(ch)
        if o < 0x20 or o == 0x7F:
            raise ValueError("control character")
    parts = body.split()
    if len(parts) < 2:
        raise ValueError("not '<type> <base64>'")
    ktype, b64 = parts[0], parts[1]
    if ktype not in allowed_types:
        raise ValueError("key type not allowed")
    if len(b64) % 4 or not all(c in _B64 for c in b64) or "=" in b64.rstrip("="):
        raise ValueError("base64 does not decode")
    try:
        blob = binascii.a2b_base64(b64.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ValueError("base64 does not decode")
    if len(blob) < 4:
        raise ValueError("blob too short")
    n = int.from_bytes(blob[:4], "big")
    if n > len(blob) - 4 or blob[4 : 4 + n] != ktype.encode("ascii"):
        raise ValueError("embedded type does not match")
    return ktype, b64, fingerprint(blob)


def fingerprint(blob):
    """OpenSSH's SHA256 fingerprint of a key blob: "SHA256:" + unpadded base64 of its SHA-256."""
    import binascii

    return "SHA256:" + binascii.b2a_base64(sha256(blob).digest(), newline=False).decode("ascii").rstrip("=")


# --------------------------------------------------------------------------------------------------
# SigV4


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _uri_encode(s, safe="-_.~"):
    """RFC 3986 percent-encoding of UTF-8 (as SigV4 wants: unreserved characters kept)."""
    extra = frozenset(safe.encode("ascii"))
    return "".join(
        chr(b) if b in _UNRESERVED or b in extra else "%%%02X" % b for b in s.encode("utf-8")
    )


def _uri_decode(s):
    b = s.replace("+", " ").encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(b):
        if b[i] == 0x25 and i + 2 < len(b) and all(c in b"0123456789abcdefABCDEF" for c in b[i + 1:i + 3]):
            try:
                out.append(int(b[i + 1:i + 3].decode("ascii"), 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(b[i])
        i += 1
    return out.decode("utf-8", "replace")


def urlencode(pairs):
    """application/x-www-form-urlencoded body from (name, value) pairs or a dict."""
    if isinstance(pairs, dict):
        pairs = list(pairs.items())
    return "&".join("%s=%s" % (_uri_encode(str(k)), _uri_encode(str(v))) for k, v in pairs)


def urlsplit(url):
    """(scheme, host, port, path, query) of an http(s) URL."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise KilnError("not a URL: %r" % url)
    scheme = scheme.lower()
    netloc, slash, path = rest.partition("/")
    path = slash + path if slash else "/"
    path, _, query = path.partition("?")
    path = path.split("#", 1)[0]
    host, port = netloc, None
    if "@" in host:
        raise KilnError("credentials in endpoint URLs are not supported")
    if host.startswith("["):
        h, _, p = host[1:].partition("]")
        host, port = h, (p[1:] if p.startswith(":") else None)
    elif ":" in host:
        host, port = host.rsplit(":", 1)
    port = int(port) if port else (443 if scheme == "https" else 80)
    return scheme, host, port, path or "/", query


def sign_v4(method, url, headers, body, access_key, secret_key, region, service, session_token=None, now=None):
    """Returns a new header dict with X-Amz-Date, (X-Amz-Security-Token) and Authorization added.

    `headers` must contain Host (or it is derived from the URL); every header given is signed.
    `now` is a UTC datetime (tests) or None (the current time)."""
    if now is None:
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    else:
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    scheme, host, port, path, query = urlsplit(url)
    out = dict(headers)
    if not any(k.lower() == "host" for k in out):
        out["Host"] = host if port == (443 if scheme == "https" else 80) else "%s:%d" % (host, port)
    if not any(k.lower() == "x-amz-date" for k in out):
        out["X-Amz-Date"] = amz_date
    else:
        amz_date = [v for k, v in out.items() if k.lower() == "x-amz-date"][0]
        day = amz_date[:8]
    if session_token:
        out["X-Amz-Security-Token"] = session_token
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = body or b""
    canonical_uri = _uri_encode(path, safe="/-_.~")
    q = [(_uri_decode(k), _uri_decode(v)) for k, _, v in (p.partition("=") for p in query.split("&") if p)]
    canonical_query = "&".join(
        "%s=%s" % (_uri_encode(k), _uri_encode(v)) for k, v in sorted((k, v) for k, v in q)
    )
    hdrs = {}
    for k, v in out.items():
        lk = k.lower().strip()
        val = " ".join(str(v).strip().split())
        hdrs[lk] = hdrs[lk] + "," + val if lk in hdrs else val
    signed = ";".join(sorted(hdrs))
    canonical_headers = "".join("%s:%s\n" % (k, hdrs[k]) for k in sorted(hdrs))
    payload_hash = sha256(body).hexdigest()
    creq = "\n".join([method.upper(), canonical_uri, canonical_query, canonical_headers, signed, payload_hash])
    scope = "%s/%s/%s/aws4_request" % (day, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, sha256(creq.encode("utf-8")).hexdigest()])

    def _h(key, msg):
        return hmac_sha256(key, msg.encode("utf-8"))

    k = _h(("AWS4" + secret_key).encode("utf-8"), day)
    k = _h(k, region)
    k = _h(k, service)
    k = _h(k, "aws4_request")
    sig = hmac_sha256(k, sts.encode("utf-8")).hex()
    out["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        access_key,
        scope,
        signed,
        sig,
    )
    return out


# --------------------------------------------------------------------------------------------------
# HTTP (deadline-aware)


class Deadline(object):
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds if seconds else None

    def remaining(self):
        if self.end is None:
            return 30.0
        r = self.end - time.monotonic()
        if r <= 0:
            raise DeadlineExceeded("deadline exceeded")
        return r


class _Conn(object):
    """One HTTP/1.1 connection (keep-alive), built on _socket (http.client and socket import email,
    enum and re: ~25 ms). https wraps it with ssl (certificate and host name verified)."""

    def __init__(self, scheme, host, port, timeout):
        self.key = (scheme, host, port)
        if scheme == "https":
            import socket
            import ssl

            raw = socket.create_connection((host, port), timeout=timeout)
            self.sock = ssl.create_default_context().wrap_socket(raw, server_hostname=host)
        elif scheme == "http":
            import _socket

            last = None
            self.sock = None
            # A str host name is encoded with the "idna" codec, which imports re, enum, stringprep
            # and unicodedata (~10 ms); endpoint host names are ASCII, so they are passed as bytes.
            try:
                hname = host.encode("ascii")
            except UnicodeEncodeError:
                hname = host
            for fam, typ, proto, _, addr in _socket.getaddrinfo(hname, port, 0, _socket.SOCK_STREAM):
                sock = _socket.socket(fam, typ, proto)
                sock.settimeout(timeout)
                try:
                    sock.connect(addr)
                    self.sock = sock
                    break
                except OSError as e:
                    sock.close()
                    last = e
            if self.sock is None:
                raise last or OSError("cannot connect")
        else:
            raise KilnError("unsupported endpoint scheme %r" % scheme)
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise OSError("connection closed by peer")
        self.buf += chunk

    def _readline(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise OSError("header line too long")
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _readn(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def request(self, method, path, headers, body, timeout):
        self.sock.settimeout(timeout)
        lines = ["%s %s HTTP/1.1" % (method, path)]
        body = body or b""
        hdrs = dict(headers)
        if not any(k.lower() == "host" for k in hdrs):
            scheme, host, port = self.key
            hdrs["Host"] = host if port in (80, 443) else "%s:%d" % (host, port)
        hdrs["Content-Length"] = str(len(body))
        for k, v in hdrs.items():
            if "\r" in str(v) or "\n" in str(v):
                raise KilnError("header %s contains a line break" % k)
            lines.append("%s: %s" % (k, v))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        status_line = self._readline().decode("latin-1")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise OSError("bad status line")
        status = int(parts[1])
        rh = {}
        while True:
            line = self._readline()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            rh[k.strip().lower()] = v.strip()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            data = b""
        elif "chunked" in rh.get("transfer-encoding", "").lower():
            data = b""
            while True:
                size = int(self._readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self._readline():
                        pass
                    break
                if len(data) + size > 16 * 1024 * 1024:
                    raise OSError("response too large")
                data += self._readn(size)
                self._readline()
        elif "content-length" in rh:
            n = int(rh["content-length"])
            if n > 16 * 1024 * 1024:
                raise OSError("response too large")
            data = self._readn(n)
        else:
            while True:
                try:
                    self._fill()
                except OSError as e:
                    if "closed" in str(e):
                        break
                    raise
                if len(self.buf) > 16 * 1024 * 1024:
                    raise OSError("response too large")
            data, self.buf = self.buf, b""
            rh["connection"] = "close"
        return status, data, rh.get("connection", "").lower() != "close"

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


_conns = {}


def http_request(method, url, headers, body, deadline, max_timeout=10.0):
    """One HTTP(S) request, reusing a kept-alive connection to the same host; returns (status,
    body bytes). Raises DeadlineExceeded on timeouts and KilnError on other transport errors."""
    scheme, host, port, path, query = urlsplit(url)
    if query:
        path += "?" + query
    key = (scheme, host, port)
    for attempt in (0, 1):
        timeout = min(max_timeout, deadline.remaining())
        conn = _conns.pop(key, None)
        reused = conn is not None
        try:
            if conn is None:
                conn = _Conn(scheme, host, port, timeout)
            status, data, keep = conn.request(method, path, headers, body, timeout)
        except KilnError:
            if conn is not None:
                conn.close()
            raise
        except Exception as e:  # socket.timeout, ssl errors, OSError, ValueError from bad framing
            if conn is not None:
                conn.close()
            if "timed out" in str(e) or e.__class__.__name__ in ("timeout", "TimeoutError"):
                raise DeadlineExceeded("timeout talking to %s" % host)
            if reused and attempt == 0:
                continue  # the server closed an idle kept-alive connection: one fresh try
            raise KilnError("HTTP error talking to %s: %s" % (host, e.__class__.__name__))
        if keep:
            _conns[key] = conn
        else:
            conn.close()
        return status, data
    raise KilnError("HTTP error talking to %s" % host)


# --------------------------------------------------------------------------------------------------
# XML


class Node(object):
    """A parsed XML element (the subset of ElementTree's API used here: tag, text, find, findall,
    findtext, iter). Built with pyexpat directly: xml.etree imports re (~5 ms)."""

    __slots__ = ("tag", "text", "children")

    def __init__(self, tag):
        self.tag = tag
        self.text = None
        self.children = []

    def iter(self):
        yield self
        for c in self.children:
            for n in c.iter():
                yield n

    def _walk(self, parts):
        nodes = [self]
        for p in parts:
            nodes = [c for n in nodes for c in n.children if c.tag == p]
        return nodes

    def findall(self, path):
        if path.startswith(".//"):
            parts = path[3:].split("/")
            out = []
            for n in self.iter():
                if n is not self and n.tag == parts[0]:
                    out.extend(n._walk(parts[1:]))
            return out
        return self._walk(path.split("/"))

    def find(self, path):
        r = self.findall(path)
        return r[0] if r else None

    def findtext(self, path, default=None):
        n = self.find(path)
        return default if n is None else (n.text or "")


def parse_xml(data):
    """Parses an AWS Query API response into Nodes; namespace prefixes are dropped. DTDs and
    entity declarations are refused."""
    import pyexpat

    stack = []
    result = []

    def start(name, attrs):
        n = Node(name.rsplit(":", 1)[-1].rsplit("}", 1)[-1])
        if stack:
            stack[-1].children.append(n)
        else:
            result.append(n)
        stack.append(n)

    def end(name):
        stack.pop()

    def chars(data):
        if stack:
            n = stack[-1]
            n.text = data if n.text is None else n.text + data

    def no_dtd(*a):
        raise ValueError("DTD not allowed")

    p = pyexpat.ParserCreate()
    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    try:
        p.Parse(data, True)
    except (pyexpat.ExpatError, ValueError) as e:
        raise KilnError("malformed XML response: %s" % e)
    if not result:
        raise KilnError("malformed XML response: empty")
    return result[0]


def xml_error(data):
    """(code, message) of an AWS error response, or (None, None)."""
    try:
        root = parse_xml(data)
    except KilnError:
        return None, None
    err = root.find(".//Error")
    if err is None:
        return None, None
    return (err.findtext("Code") or "").strip() or None, (err.findtext("Message") or "").strip()


def text(el, path):
    v = el.findtext(path)
    return v.strip() if v is not None else None


# --------------------------------------------------------------------------------------------------
# Credentials


class Credentials(object):
    def __init__(self, access_key, secret_key, token=None, expiration=None, source="env"):
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token
        self.expiration = expiration  # epoch seconds or None
        self.source = source

    def fresh(self, margin=300):
        return self.expiration is None or self.expiration - time.time() > margin

    def __repr__(self):  # never show secrets
        return "Credentials(source=%s)" % self.source


def _parse_time(s):
    import datetime

    s = s.strip().replace("Z", "+00:00")
    if "." in s:
        head, tail = s.split(".", 1)
        tz = tail[tail.find("+"):] if "+" in tail else ""
        s = head + tz
    return datetime.datetime.fromisoformat(s).timestamp()


def credentials_from_env(environ=None):
    environ = os.environ if environ is None else environ
    ak = environ.get("AWS_ACCESS_KEY_ID")
    sk = environ.get("AWS_SECRET_ACCESS_KEY")
    if ak and sk:
        return Credentials(ak, sk, environ.get("AWS_SESSION_TOKEN") or None, None, "env")
    return None


def imds_get(endpoint, path, deadline, token=None):
    headers = {"X-aws-ec2-metadata-token": token} if token else {}
    return http_request("GET", endpoint.rstrip("/") + path, headers, None, deadline, max_timeout=2.0)


def imds_token(endpoint, deadline):
    status, body = http_request(
        "PUT",
        endpoint.rstrip("/") + "/latest/api/token",
        {"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
        None,
        deadline,
        max_timeout=2.0,
    )
    if status != 200:
        raise KilnError("IMDSv2 token request answered HTTP %d" % status)
    return body.decode("ascii", "replace").strip()


def imds_credentials(endpoint, deadline):
    token = imds_token(endpoint, deadline)
    status, body = imds_get(endpoint, "/latest/meta-data/iam/security-credentials/", deadline, token)
    if status != 200:
        raise KilnError("no instance profile (IMDS HTTP %d)" % status)
    role = body.decode("utf-8", "replace").strip().splitlines()
    if not role:
        raise KilnError("no instance profile role")
    status, body = imds_get(endpoint, "/latest/meta-data/iam/security-credentials/" + role[0].strip(), deadline, token)
    if status != 200:
        raise KilnError("instance credentials unavailable (IMDS HTTP %d)" % status)
    try:
        d = loads(body)
        return Credentials(d["AccessKeyId"], d["SecretAccessKey"], d.get("Token"), _parse_time(d["Expiration"]), "imds")
    except (ValueError, KeyError, TypeError):
        raise KilnError("malformed instance credentials document")


def assume_role(cfg, base, deadline, cache_path=None):
    """sts:AssumeRole for cfg['assumeRole']; cached (0600, atomic) until 5 minutes before expiry."""
    if cache_path:
        c = read_json_private(cache_path)
        if c and c.get("role") == cfg["assumeRole"] and c.get("exp", 0) - time.time() > 300:
            return Credentials(c["ak"], c["sk"], c.get("tk"), c["exp"], "assume-role-cache")
    body = urlencode(
        {
            "Action": "AssumeRole",
            "Version": STS_VERSION,
            "RoleArn": cfg["assumeRole"],
            "RoleSessionName": "kiln-" + (os.uname().nodename.replace(".", "-")[:40] or "instance"),
            "DurationSeconds": "3600",
        }
    )
    root = _signed_post(cfg["stsEndpoint"], body, base, cfg["region"], "sts", deadline)
    c = root.find(".//Credentials")
    if c is None:
        raise KilnError("AssumeRole answered without credentials")
    creds = Credentials(
        text(c, "AccessKeyId"), text(c, "SecretAccessKey"), text(c, "SessionToken"),
        _parse_time(text(c, "Expiration")), "assume-role",
    )
    if cache_path:
        try:
            atomic_write(cache_path, dumps({
                "role": cfg["assumeRole"], "ak": creds.access_key, "sk": creds.secret_key,
                "tk": creds.token, "exp": creds.expiration,
            }).encode("utf-8"), 0o600)
        except OSError:
            pass
    return creds


def get_credentials(cfg, deadline, assume_cache=None):
    creds = credentials_from_env()
    if creds is None:
        creds = imds_credentials(cfg["metadataEndpoint"], deadline)
    if cfg.get("assumeRole"):
        creds = assume_role(cfg, creds, deadline, assume_cache)
    return creds


def _signed_post(endpoint, body, creds, region, service, deadline):
    url = endpoint.rstrip("/") + "/"
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    headers = sign_v4("POST", url, headers, body, creds.access_key, creds.secret_key, region, service, creds.token)
    status, data = http_request("POST", url, headers, body.encode("utf-8"), deadline)
    if status != 200:
        code, msg = xml_error(data)
        raise AwsError(code or ("HTTP%d" % status), (msg or "")[:200], status)
    return parse_xml(data)


# --------------------------------------------------------------------------------------------------
# IAM client


class IamClient(object):
    """Minimal IAM Query API client. `calls` counts requests per Action (benchmarks, tests)."""

    MAX_PAGES = 10000

    def __init__(self, cfg, creds, deadline, post=None):
        self.cfg = cfg
        self.creds = creds
        self.deadline = deadline
        self.calls = {}
        self._post = post or self._http_post

    def _http_post(self, body):
        # IAM is a global service: always signed for us-east-1 / iam.
        return _signed_post(self.cfg["iamEndpoint"], body, self.creds, "us-east-1", "iam", self.deadline)

    def call(self, action, params=None):
        p = [("Action", action), ("Version", IAM_VERSION)]
        for k in sorted(params or {}):
            p.append((k, params[k]))
        self.calls[action] = self.calls.get(action, 0) + 1
        return self._post(urlencode(p))

    def paginate(self, action, params, list_tag, key_tag):
        """All members of every page; KilnError on an inconsistent page set (IsTruncated without a
        Marker, a repeated Marker, a member listed twice, too many pages)."""
        items = []
        seen = set()
        markers = set()
        params = dict(params)
        for _ in range(self.MAX_PAGES):
            root = self.call(action, params)
            result = root.find(".//%sResult" % action)
            if result is None:
                raise KilnError("%s: response has no %sResult" % (action, action))
            lst = result.find(list_tag)
            if lst is None:
                raise KilnError("%s: response has no %s" % (action, list_tag))
            for m in lst.findall("member"):
                k = text(m, key_tag)
                if not k:
                    raise KilnError("%s: member without %s" % (action, key_tag))
                if k.lower() in seen:
                    raise KilnError("%s: %s listed twice" % (action, key_tag))
                seen.add(k.lower())
                items.append(m)
            truncated = (text(result, "IsTruncated") or "false").lower()
            if truncated not in ("true", "false"):
                raise KilnError("%s: IsTruncated is %r" % (action, truncated))
            if truncated == "false":
                return items, result
            marker = text(result, "Marker")
            if not marker:
                raise KilnError("%s: IsTruncated without Marker" % action)
            if marker in markers:
                raise KilnError("%s: Marker repeated" % action)
            markers.add(marker)
            params["Marker"] = marker
        raise KilnError("%s: more than %d pages" % (action, self.MAX_PAGES))

    def get_group_members(self, group):
        """[(UserName, UserId)] of every member of `group`."""
        items, _ = self.paginate("GetGroup", {"GroupName": group, "MaxItems": "1000"}, "Users", "UserName")
        return [(text(m, "UserName"), text(m, "UserId")) for m in items]

    def list_users(self):
        items, _ = self.paginate("ListUsers", {"MaxItems": "1000"}, "Users", "UserName")
        return [(text(m, "UserName"), text(m, "UserId")) for m in items]

    def list_groups_for_user(self, user):
        items, _ = self.paginate("ListGroupsForUser", {"UserName": user, "MaxItems": "1000"}, "Groups", "GroupName")
        return [text(m, "GroupName") for m in items]

    def list_ssh_public_keys(self, user):
        """[(SSHPublicKeyId, Status)]"""
        items, _ = self.paginate(
            "ListSSHPublicKeys", {"UserName": user, "MaxItems": "1000"}, "SSHPublicKeys", "SSHPublicKeyId"
        )
        return [(text(m, "SSHPublicKeyId"), text(m, "Status")) for m in items]

    def get_ssh_public_key(self, user, key_id):
        """(body, Status) of one key, SSH encoding."""
        root = self.call("GetSSHPublicKey", {"UserName": user, "SSHPublicKeyId": key_id, "Encoding": "SSH"})
        k = root.find(".//GetSSHPublicKeyResult/SSHPublicKey")
        if k is None:
            raise KilnError("GetSSHPublicKey: response has no SSHPublicKey")
        return k.findtext("SSHPublicKeyBody") or "", text(k, "Status")

    def total_calls(self):
        return sum(self.calls.values())


def effective_groups(cfg, root="/", deadline=None):
    """(iamGroups, sudoGroups) for this instance: from EC2 instance tags `kiln:iamGroups` and
    `kiln:sudoGroups` (comma-separated) when groupsFromTags is true and the tag exists, otherwise
    from the configuration."""
    groups = list(cfg.get("iamGroups") or [])
    sudo = list(cfg.get("sudoGroups") or [])
    if not cfg.get("groupsFromTags"):
        return groups, sudo
    deadline = deadline or Deadline(10)
    ep = cfg["metadataEndpoint"]
    token = imds_token(ep, deadline)
    result = []
    for tag, default in (("kiln:iamGroups", groups), ("kiln:sudoGroups", sudo)):
        status, body = imds_get(ep, "/latest/meta-data/tags/instance/" + tag, deadline, token)
        if status == 200:
            result.append([g.strip() for g in body.decode("utf-8").split(",") if g.strip()])
        elif status == 404:
            result.append(default)
        else:
            raise KilnError("instance tags unavailable (IMDS HTTP %d)" % status)
    return result[0], result[1]


# --------------------------------------------------------------------------------------------------
# Key command (/usr/libexec/kiln/authorized-keys). Kept here, not in the script: a script run as
# __main__ is compiled on every start, a module is loaded from its cached bytecode.

KEYS_IDENT = "kiln-authorized-keys"
_T0 = 0.0


def _keys_parse_args(argv):
    config = None
    root = "/"
    rest = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--config" and i + 1 < len(argv):
            config = argv[i + 1]
            i += 2
        elif a == "--root" and i + 1 < len(argv):
            root = argv[i + 1]
            i += 2
        else:
            rest.append(a)
            i += 1
    if not rest or len(rest) > 2:
        raise KilnError("usage: authorized-keys [--config FILE] [--root DIR] USER [FINGERPRINT]")
    return config, root, rest[0], (rest[1] if len(rest) > 1 and rest[1] else None)


class _Decision(object):
    def __init__(self, user):
        self.user = user
        self.fp = "-"
        self.key_ids = []
        self.outcome = "error"
        self.source = "-"

    def log(self, level="info", detail=None):
        ms = (time.monotonic() - _T0) * 1000.0
        msg = "user=%s fingerprint=%s key_id=%s outcome=%s source=%s duration_ms=%.1f" % (
            self.user, self.fp, ",".join(self.key_ids) or "-", self.outcome, self.source, ms,
        )
        if detail:
            msg += " detail=%s" % detail.replace(" ", "_")[:200]
        log(KEYS_IDENT, msg, level)


def _ttl(cfg, entry):
    if entry.get("status") == "ok":
        return float(cfg["keyCacheTtl"])
    return float(cfg["negativeCacheTtl"])


def _authorized_groups(cfg, root):
    """Configured IAM groups; with groupsFromTags, the list the last sync resolved from the tags."""
    if cfg.get("groupsFromTags"):
        path = under_root(root, os.path.join(cfg["stateDir"], "groups.json"))
        with open(path, "rb") as f:
            return list(loads(f.read())["iamGroups"])
    return list(cfg.get("iamGroups") or [])


def fetch_user_keys(cfg, root, iam_name, old, deadline):
    """Asks IAM; returns a new cache entry."""
    creds = get_credentials(cfg, deadline, os.path.join(under_root(root, cfg["cacheDir"]), ".assume-role.json"))
    client = IamClient(cfg, creds, deadline)
    now = time.time()
    groups = _authorized_groups(cfg, root)
    try:
        if groups:
            mine = set(g.lower() for g in client.list_groups_for_user(iam_name))
            if not any(g.lower() in mine for g in groups):
                return {"t": now, "iam": iam_name, "status": "not-in-group", "keys": [], "known": {}}
        listed = client.list_ssh_public_keys(iam_name)
    except AwsError as e:
        if e.code == "NoSuchEntity":
            return {"t": now, "iam": iam_name, "status": "no-such-iam-user", "keys": [], "known": {}}
        raise
    # Key bodies never change for a given key id: ids fetched before are not fetched again.
    known_old = (old or {}).get("known") or {}
    known = {}
    active = []
    allowed = cfg["allowedKeyTypes"]
    for key_id, status in listed:
        if status != "Active":
            if key_id in known_old:
                known[key_id] = known_old[key_id]
            continue
        if key_id in known_old:
            known[key_id] = known_old[key_id]
        else:
            body, status2 = client.get_ssh_public_key(iam_name, key_id)
            if status2 != "Active":
                continue
            try:
                ktype, b64, fp = validate_key(body, allowed)
                known[key_id] = {"line": ktype + " " + b64, "fp": fp}
            except ValueError as e:
                known[key_id] = {"invalid": str(e)}
        active.append(key_id)
    return {"t": now, "iam": iam_name, "status": "ok", "keys": active, "known": known}


def authorized_keys_main(argv, t0=None):
    global _T0
    _T0 = t0 if t0 is not None else time.monotonic()
    try:
        import _signal as signal  # the C module: `signal` imports enum (~4 ms)
    except ImportError:
        import signal

    cfg = None
    d = _Decision("-")
    try:
        config, root, user, want_fp = _keys_parse_args(argv)
        d.user = user if len(user) <= 64 and user.isprintable() else "<invalid>"
        d.fp = want_fp or "-"
        cfg = load_config(config)
        deadline_s = float(cfg["deadline"])

        def _on_alarm(signum, frame):
            d.outcome = "timeout"
            try:
                d.log("warning")
            finally:
                _posix._exit(1)

        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, deadline_s)

        lo, hi = cfg["uidRange"]
        iam_name = None if user == "root" else local_to_iam(user)
        if iam_name is None:
            d.outcome = "refused-not-a-kiln-name"
            d.log("notice")
            return 1
        pw = lookup_user(root, user)
        if pw is None:
            d.outcome = "refused-unknown-user"
            d.log("notice")
            return 1
        if not (lo <= pw[0] <= hi):
            d.outcome = "refused-uid-outside-range"
            d.log("notice")
            return 1
        marker = group_members(root, cfg["markerGroup"])
        if marker is None or user not in marker[1]:
            d.outcome = "refused-unmanaged-user"
            d.log("notice")
            return 1

        cache_dir = under_root(root, cfg["cacheDir"])
        cache_path = _join(cache_dir, user + ".json")
        entry = read_json_private(cache_path)
        if entry is not None and entry.get("iam") != iam_name:
            entry = None
        now = time.time()
        if entry is not None and 0 <= now - entry.get("t", 0) < _ttl(cfg, entry):
            d.source = "cache"
        else:
            try:
                new = fetch_user_keys(cfg, root, iam_name, entry, Deadline(max(0.05, deadline_s - (time.monotonic() - _T0) - 0.05)))
            except KilnError as e:
                stale = float(cfg.get("staleIfError") or 0)
                if (
                    stale > 0 and entry is not None and entry.get("status") == "ok"
                    and 0 <= now - entry.get("t", 0) < _ttl(cfg, entry) + stale
                ):
                    d.source = "stale-cache"
                    log(KEYS_IDENT, "user=%s iam_error=%s serving_stale=yes" % (user, e.__class__.__name__), "warning")
                else:
                    d.outcome = "error"
                    d.log("err", str(e))
                    return 1
            else:
                entry = new
                d.source = "iam"
                try:
                    if not os.path.isdir(cache_dir):
                        os.makedirs(cache_dir, 0o700)
                    atomic_write(cache_path, dumps(entry).encode("utf-8"), 0o600)
                except OSError as e:
                    log(KEYS_IDENT, "user=%s cache_write_failed=%s" % (user, e.__class__.__name__), "warning")

        if entry.get("status") != "ok":
            d.outcome = "refused-" + str(entry.get("status"))
            d.log("notice")
            return 0
        lines = []
        known = entry.get("known") or {}
        for key_id in entry.get("keys") or []:
            k = known.get(key_id) or {}
            if "line" not in k:
                log(KEYS_IDENT, "user=%s key_id=%s outcome=key-rejected reason=%s" % (
                    user, key_id, str(k.get("invalid", "unknown")).replace(" ", "_")), "warning")
                continue
            if want_fp and k.get("fp") != want_fp:
                continue
            lines.append(k["line"])
            d.key_ids.append(key_id)
        out = ("\n".join(lines) + "\n") if lines else ""
        signal.setitimer(signal.ITIMER_REAL, 0)
        if out:
            sys.stdout.write(out)
            sys.stdout.flush()
        d.outcome = "keys-printed" if lines else "no-matching-key"
        d.log()
        return 0
    except Exception as e:  # fail closed, print nothing
        d.outcome = "error"
        try:
            d.log("err", "%s:%s" % (e.__class__.__name__, e))
        except Exception:
            pass
        return 1
