"""Kiln IAM access: code shared by /usr/libexec/kiln/authorized-keys and /usr/libexec/kiln/sync-users.

Standard library only, Python 3.9+. Modules that cost start-up time (urllib, http.client, ssl, hmac,
hashlib, xml.etree, subprocess, ...) are imported inside the functions that need them, so that the
key command's cached path only pays for os, sys, time and json.

Configuration: /etc/kiln/access.json (keys in docs/contracts.md). The standard AWS environment
variables override it: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL.

Nothing in this module ever logs key material or credentials.
"""

import json
import os
import sys
import time

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
# Configuration


def load_config(path=None, environ=None):
    """Reads access.json, fills defaults, applies the AWS environment overrides."""
    environ = os.environ if environ is None else environ
    path = path or DEFAULT_CONFIG
    cfg = dict(DEFAULTS)
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
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
    if os.environ.get("KILN_LOG_STDERR"):
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
# UIDs


def derive_uid(user_id, uid_range):
    """The preferred UID of an IAM user: SHA-256 of its UserId (stable on every instance and for
    as long as the IAM user exists), reduced into uidRange (inclusive)."""
    import hashlib

    lo, hi = uid_range
    h = int.from_bytes(hashlib.sha256(("kiln-uid:" + user_id).encode("utf-8")).digest()[:8], "big")
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
    with open(os.path.join(root, "etc/passwd"), "r", encoding="utf-8", errors="replace") as f:
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
    with open(os.path.join(root, "etc/group"), "r", encoding="utf-8", errors="replace") as f:
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
    with open(os.path.join(root, "etc/passwd"), "r", encoding="utf-8", errors="replace") as f:
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
    with open(os.path.join(root, "etc/group"), "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(prefix):
                p = line.rstrip("\n").split(":")
                return (int(p[2]), [m for m in p[3].split(",") if m]) if len(p) >= 4 else None
    return None


def under_root(root, path):
    if root in (None, "", "/"):
        return path
    return os.path.join(root, path.lstrip("/"))


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
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o022 or (st.st_mode & 0o170000) != 0o100000:
            return None
        chunks = []
        while True:
            b = os.read(fd, 65536)
            if not b:
                break
            chunks.append(b)
    finally:
        os.close(fd)
    try:
        v = json.loads(b"".join(chunks).decode("utf-8"))
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


# --------------------------------------------------------------------------------------------------
# SSH keys


def validate_key(body, allowed_types):
    """Checks one IAM key body; returns (keytype, base64, sha256-fingerprint) or raises ValueError.

    Accepted: one line "<type> <base64> [comment]" with no options, no control characters, a type
    from allowedKeyTypes, base64 that decodes, and whose embedded type string equals <type>. The
    comment is dropped from the printed line."""
    import base64
    import hashlib
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
    try:
        blob = base64.b64decode(b64.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ValueError("base64 does not decode")
    if len(blob) < 4:
        raise ValueError("blob too short")
    n = int.from_bytes(blob[:4], "big")
    if n > len(blob) - 4 or blob[4 : 4 + n] != ktype.encode("ascii"):
        raise ValueError("embedded type does not match")
    fp = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    return ktype, b64, fp


# --------------------------------------------------------------------------------------------------
# SigV4


def _uri_encode(s, safe="-_.~"):
    from urllib.parse import quote

    return quote(s, safe=safe)


def sign_v4(method, url, headers, body, access_key, secret_key, region, service, session_token=None, now=None):
    """Returns a new header dict with X-Amz-Date, (X-Amz-Security-Token) and Authorization added.

    `headers` must contain Host (or it is derived from the URL); every header given is signed.
    `now` is a UTC datetime (tests) or None."""
    import datetime
    import hashlib
    import hmac
    from urllib.parse import urlsplit, parse_qsl

    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    parts = urlsplit(url)
    out = dict(headers)
    if not any(k.lower() == "host" for k in out):
        out["Host"] = parts.netloc
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
    path = parts.path or "/"
    canonical_uri = _uri_encode(path, safe="/-_.~")
    q = parse_qsl(parts.query, keep_blank_values=True)
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
    payload_hash = hashlib.sha256(body).hexdigest()
    creq = "\n".join([method.upper(), canonical_uri, canonical_query, canonical_headers, signed, payload_hash])
    scope = "%s/%s/%s/aws4_request" % (day, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()])

    def _h(key, msg):
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    k = _h(("AWS4" + secret_key).encode("utf-8"), day)
    k = _h(k, region)
    k = _h(k, service)
    k = _h(k, "aws4_request")
    sig = hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest()
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


def http_request(method, url, headers, body, deadline, max_timeout=10.0):
    """One HTTP(S) request; returns (status, body bytes). Raises KilnError on transport errors."""
    import http.client
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    timeout = min(max_timeout, deadline.remaining())
    try:
        if parts.scheme == "https":
            import ssl

            conn = http.client.HTTPSConnection(
                parts.hostname, parts.port or 443, timeout=timeout, context=ssl.create_default_context()
            )
        elif parts.scheme == "http":
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        else:
            raise KilnError("unsupported endpoint scheme %r" % parts.scheme)
        try:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read(16 * 1024 * 1024)
            return resp.status, data
        finally:
            conn.close()
    except (socket.timeout, TimeoutError):
        raise DeadlineExceeded("timeout talking to %s" % parts.hostname)
    except (OSError, http.client.HTTPException) as e:
        raise KilnError("HTTP error talking to %s: %s" % (parts.hostname, e.__class__.__name__))


# --------------------------------------------------------------------------------------------------
# XML


def parse_xml(data):
    """Parses an AWS Query API response; namespaces are stripped from every tag."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise KilnError("malformed XML response: %s" % e)
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


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
        d = json.loads(body.decode("utf-8"))
        return Credentials(d["AccessKeyId"], d["SecretAccessKey"], d.get("Token"), _parse_time(d["Expiration"]), "imds")
    except (ValueError, KeyError, TypeError):
        raise KilnError("malformed instance credentials document")


def assume_role(cfg, base, deadline, cache_path=None):
    """sts:AssumeRole for cfg['assumeRole']; cached (0600, atomic) until 5 minutes before expiry."""
    if cache_path:
        c = read_json_private(cache_path)
        if c and c.get("role") == cfg["assumeRole"] and c.get("exp", 0) - time.time() > 300:
            return Credentials(c["ak"], c["sk"], c.get("tk"), c["exp"], "assume-role-cache")
    from urllib.parse import urlencode

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
            atomic_write(cache_path, json.dumps({
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
    from urllib.parse import urlsplit

    url = endpoint.rstrip("/") + "/"
    headers = {
        "Host": urlsplit(url).netloc,
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    }
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
        from urllib.parse import urlencode

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
