"""Kiln IAM access: deadline-bound HTTP(S) on _socket, URL helpers and a minimal XML tree.

Loaded only on the key command's cache miss and by the sync (see kiln_iam for the module map).
"""
import time

from kiln_iam import DeadlineExceeded, KilnError

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


def resolve(host, port, deadline, max_timeout):
    """getaddrinfo bounded by the deadline. A signal cannot interrupt name resolution (a stalled DNS
    server held the key command 10 s past its 3 s deadline), so it runs in a thread and the caller
    waits on a lock, which a timeout and SIGALRM do interrupt; a thread left behind dies with the
    process. Numeric addresses (IMDS, loopback) need no resolver and no thread."""
    import _socket

    # A str host name is encoded with the "idna" codec, which imports re, enum, stringprep and
    # unicodedata (~10 ms); endpoint host names are ASCII, so they are passed as bytes.
    try:
        hname = host.encode("ascii")
    except UnicodeEncodeError:
        raise KilnError("endpoint host name is not ASCII")
    try:
        return _socket.getaddrinfo(hname, port, 0, _socket.SOCK_STREAM, 0, _socket.AI_NUMERICHOST)
    except OSError:
        pass
    import _thread

    done = _thread.allocate_lock()
    done.acquire()
    box = []

    def run():
        try:
            box.append(_socket.getaddrinfo(hname, port, 0, _socket.SOCK_STREAM))
        except BaseException as e:  # handed to the caller
            box.append(e)
        finally:
            done.release()

    _thread.start_new_thread(run, ())
    if not done.acquire(True, min(max_timeout, deadline.remaining())):
        raise DeadlineExceeded("name resolution of %s timed out" % host)
    if isinstance(box[0], BaseException):
        raise KilnError("cannot resolve %s: %s" % (host, box[0].__class__.__name__))
    return box[0]


class _Conn(object):
    """One HTTP/1.1 connection (keep-alive), built on _socket (http.client and socket import email,
    enum and re: ~25 ms). https wraps it with ssl (certificate and host name verified).

    Every blocking step (resolution, connect, each send and each read) waits at most until the
    deadline: a server that drip-feeds its answer cannot keep a run past it."""

    MAX_HEADER_LINES = 200

    def __init__(self, scheme, host, port, deadline, max_timeout):
        self.key = (scheme, host, port)
        self.deadline = deadline
        self.max_timeout = max_timeout
        if scheme not in ("http", "https"):
            raise KilnError("unsupported endpoint scheme %r" % scheme)
        if scheme == "https":
            import socket as sockmod
        else:
            import _socket as sockmod
        last = None
        self.sock = None
        for fam, typ, proto, _, addr in resolve(host, port, deadline, max_timeout):
            sock = sockmod.socket(fam, typ, proto)
            sock.settimeout(self.timeout())
            try:
                sock.connect(addr)
                self.sock = sock
                break
            except OSError as e:
                sock.close()
                last = e
        if self.sock is None:
            raise last or OSError("cannot connect")
        if scheme == "https":
            import ssl

            self.sock.settimeout(self.timeout())
            self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=host)
        self.buf = b""

    def timeout(self):
        return min(self.max_timeout, self.deadline.remaining())  # DeadlineExceeded when past

    def _fill(self):
        self.sock.settimeout(self.timeout())
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

    def request(self, method, path, headers, body):
        self.sock.settimeout(self.timeout())
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
        for _ in range(self.MAX_HEADER_LINES + 1):
            line = self._readline()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            rh[k.strip().lower()] = v.strip()
        else:
            raise OSError("too many header lines")
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
            if n < 0 or n > 16 * 1024 * 1024:
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
        conn = _conns.pop(key, None)
        reused = conn is not None
        try:
            if conn is None:
                conn = _Conn(scheme, host, port, deadline, max_timeout)
            else:
                conn.deadline, conn.max_timeout = deadline, max_timeout
            status, data, keep = conn.request(method, path, headers, body)
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


