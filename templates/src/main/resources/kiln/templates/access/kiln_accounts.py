"""Kiln IAM access: the local account database, changed in one batch per sync run.

Used by the sync only (see kiln_iam for the module map).
"""
import os
import time

import kiln_iam as K


# ------------------------------------------------------------------------------------------------------
# The account database, changed in one batch (instead of one useradd/usermod/gpasswd per account).


class AccountDbError(K.KilnError):
    """The batch could not be committed; nothing in the account files changed."""


def _login_defs(root):
    """KEY -> value of root/etc/login.defs (missing file: {})."""
    out = {}
    try:
        with open(K.under_root(root, "/etc/login.defs"), "r", encoding="utf-8", errors="replace") as f:
            for line in f:
                p = line.split()
                if len(p) >= 2 and not p[0].startswith("#"):
                    out[p[0]] = p[1]
    except OSError:
        pass
    return out


def _default_useradd(root):
    out = {}
    try:
        with open(K.under_root(root, "/etc/default/useradd"), "r", encoding="utf-8", errors="replace") as f:
            for line in f:
                k, sep, v = line.strip().partition("=")
                if sep and not k.startswith("#"):
                    out[k.strip()] = v.strip().strip('"')
    except OSError:
        pass
    return out


def _num(defs, key, default):
    try:
        return int(defs.get(key, default))
    except ValueError:
        return default


class AccountDb(object):
    """/etc/passwd, /etc/shadow, /etc/group and /etc/gshadow (under `root`), read, changed in memory
    and written back as one batch, while holding the shadow lock (/etc/.pwd.lock with lckpwdf(3)
    semantics: an fcntl write lock, F_SETLKW, given up after LOCK_TIMEOUT seconds), so useradd,
    usermod, vipw, passwd... never run in between.

    Lines are kept as they were read (undecodable bytes round-trip unchanged); only the lines of the
    accounts changed here are rewritten, new ones are appended (as useradd does).

    commit(): every changed file is written to a temporary file in its own directory with the
    original's mode and owner, fsynced; only then are they renamed over the originals, in the order
    gshadow, shadow, group, passwd, and the directory is fsynced. Any error before the first rename
    removes the temporary files and changes nothing. The order makes a crash between two renames
    harmless: an account exists only once passwd is renamed, and everything it refers to (shadow
    entry, primary group, membership of the marker group) is in place before; locks (shadow "!" and
    expiry) take effect before the shell changes. Such an interrupted commit leaves entries without
    their passwd/group counterpart (pwck/grpck report them); the next run completes it: shadow and
    gshadow entries of a name being added are replaced, and a group named like a wanted user, with
    no such user, that the marker group already lists as a member, is taken as that user's group.
    """

    FILES = ("passwd", "shadow", "group", "gshadow")
    COMMIT_ORDER = ("gshadow", "shadow", "group", "passwd")
    LOCK_TIMEOUT = 15.0

    def __init__(self, root):
        self.root = root
        self.lock_fd = None
        self.raw = {}
        self.lines = {}
        self.index = {}
        self.changed = set()
        self._gids = None  # GIDs in use (groups read + groups added), see new_gid
        defs = _login_defs(root)
        self.defs = defs
        self.useradd_defaults = _default_useradd(root)

    # ------------------------------------------------------------------ lock
    def path(self, name):
        return K.under_root(self.root, "/etc/" + name)

    def lock(self):
        import fcntl
        import signal

        path = self.path(".pwd.lock")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)

        class _Timeout(Exception):
            pass

        def _alarm(signum, frame):
            raise _Timeout()

        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, self.LOCK_TIMEOUT)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX)  # F_SETLKW, F_WRLCK, whole file
        except _Timeout:
            os.close(fd)
            raise AccountDbError("shadow lock %s still held after %.0f s" % (path, self.LOCK_TIMEOUT))
        except OSError as e:
            os.close(fd)
            raise AccountDbError("cannot lock %s: %s" % (path, e))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        self.lock_fd = fd

    def unlock(self):
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # closing the descriptor releases the fcntl lock
            self.lock_fd = None

    # ------------------------------------------------------------------ read
    def read(self):
        for name in self.FILES:
            p = self.path(name)
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                if name in ("shadow", "gshadow"):
                    data = None  # no shadow file on this system: entries are not written there
                else:
                    raise AccountDbError("%s does not exist" % p)
            except OSError as e:
                raise AccountDbError("cannot read %s: %s" % (p, e))
            self.raw[name] = data
            lines = (data or b"").decode("utf-8", "surrogateescape").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            self.lines[name] = lines
            self.index[name] = {}
            for i, line in enumerate(lines):
                key = line.split(":", 1)[0]
                if key and key not in self.index[name] and not key.startswith(("+", "-")):
                    self.index[name][key] = i

    def has(self, name):
        return self.raw.get(name) is not None

    def fields(self, name, key):
        i = self.index[name].get(key)
        return None if i is None else self.lines[name][i].split(":")

    def set_fields(self, name, key, fields):
        if not self.has(name):
            return
        line = ":".join(fields)
        i = self.index[name].get(key)
        if i is None:
            self.index[name][key] = len(self.lines[name])
            self.lines[name].append(line)
        elif self.lines[name][i] != line:
            self.lines[name][i] = line
        else:
            return
        self.changed.add(name)

    def users(self):
        out = {}
        for line in self.lines["passwd"]:
            p = line.split(":")
            if len(p) >= 7 and p[0] and not p[0].startswith(("+", "-")):
                try:
                    out[p[0]] = {"uid": int(p[2]), "gid": int(p[3]), "gecos": p[4], "home": p[5], "shell": p[6]}
                except ValueError:
                    continue
        return out

    def groups(self):
        out = {}
        for line in self.lines["group"]:
            p = line.split(":")
            if len(p) >= 4 and p[0]:
                try:
                    out[p[0]] = {"gid": int(p[2]), "members": [m for m in p[3].split(",") if m]}
                except ValueError:
                    continue
        return out

    # ------------------------------------------------------------------ changes
    def new_gid(self, preferred=None):
        """useradd's choice of a user-private group's GID (find_new_gid, non-system): the preferred
        GID (the UID) if it lies in GID_MIN..GID_MAX and is free; else one above the highest GID used
        in that range; else the lowest free one. None when the range is full."""
        lo = _num(self.defs, "GID_MIN", 1000)
        hi = _num(self.defs, "GID_MAX", 60000)
        if self._gids is None:
            self._gids = set(g["gid"] for g in self.groups().values())
        used = self._gids
        if preferred is not None and lo <= preferred <= hi and preferred not in used:
            return preferred
        gid = lo
        for g in used:
            if gid <= g <= hi:
                gid = g + 1
        if gid <= hi:
            return gid
        for gid in range(lo, hi + 1):
            if gid not in used:
                return gid
        return None

    def add_member(self, group, user):
        f = self.fields("group", group)
        if f is None or len(f) < 4:
            return False
        members = [m for m in f[3].split(",") if m]
        if user not in members:
            f[3] = ",".join(members + [user])
            self.set_fields("group", group, f)
        g = self.fields("gshadow", group) if self.has("gshadow") else None
        if g is not None and len(g) >= 4:
            members = [m for m in g[3].split(",") if m]
            if user not in members:
                g[3] = ",".join(members + [user])
                self.set_fields("gshadow", group, g)
        return True

    def add_user(self, name, uid, gid, gecos, home, shell, groups, own_group=True):
        """useradd -U -p '*' -u UID -G GROUPS -s SHELL -c GECOS NAME, in memory."""
        if own_group:
            self.set_fields("group", name, [name, "x", str(gid), ""])
            if self._gids is not None:
                self._gids.add(gid)
            if self.has("gshadow"):
                self.set_fields("gshadow", name, [name, "!", "", ""])
        for g in groups:
            self.add_member(g, name)
        if self.has("shadow"):
            d = self.defs
            inactive = self.useradd_defaults.get("INACTIVE", "-1")
            self.set_fields("shadow", name, [
                # "*": no password, but not "locked" ("!"), which sshd without PAM refuses.
                name, "*", str(int(time.time() // 86400)),
                str(_num(d, "PASS_MIN_DAYS", 0)) if "PASS_MIN_DAYS" in d else "",
                str(_num(d, "PASS_MAX_DAYS", 99999)) if "PASS_MAX_DAYS" in d else "",
                str(_num(d, "PASS_WARN_AGE", 7)) if "PASS_WARN_AGE" in d else "",
                "" if inactive in ("", "-1") else inactive, "", "",
            ])
            pw = "x"
        else:
            pw = "*"
        self.set_fields("passwd", name, [name, pw, str(uid), str(gid), gecos, home, shell])

    def set_shell(self, name, shell):
        f = self.fields("passwd", name)
        if f is not None and len(f) >= 7:
            f[6] = shell
            self.set_fields("passwd", name, f)

    def lock_user(self, name, nologin):
        """usermod -L -e 1 -s NOLOGIN NAME, in memory."""
        s = self.fields("shadow", name) if self.has("shadow") else None
        if s is not None and len(s) >= 9:
            if not s[1].startswith("!"):
                s[1] = "!" + s[1]
            s[7] = "1"
            self.set_fields("shadow", name, s)
        else:
            f = self.fields("passwd", name)
            if f is not None and len(f) >= 7 and not f[1].startswith("!"):
                f[1] = "!" + f[1]
                self.set_fields("passwd", name, f)
        self.set_shell(name, nologin)

    def is_locked(self, name):
        """Locked as `usermod -L`, `-e` (an expiry date in the past) or a nologin/false shell do."""
        f = self.fields("passwd", name)
        if f is None or len(f) < 7 or f[6].endswith(("/nologin", "/false")) or f[1].startswith("!"):
            return True
        s = self.fields("shadow", name) if self.has("shadow") else None
        if s is not None and len(s) >= 8:
            if s[1].startswith("!"):
                return True
            try:
                if s[7] and int(s[7]) <= time.time() // 86400:
                    return True
            except ValueError:
                return True
        return False

    def rename_user(self, old, new, home):
        """usermod -l NEW -d HOME OLD, and groupmod -n NEW OLD for its user-private group, in memory:
        UID, GID, password, locks and memberships stay."""
        g = self.fields("group", old)
        own_group = g is not None and len(g) >= 4 and g[2] == self.fields("passwd", old)[3]
        for name in self.FILES:
            if not self.has(name) or old not in self.index[name]:
                continue
            if name in ("group", "gshadow") and not own_group:
                continue  # a group of that name that is not the user's own
            f = self.fields(name, old)
            i = self.index[name].pop(old)
            f[0] = new
            if name == "passwd":
                f[5] = home
            self.lines[name][i] = ":".join(f)
            self.index[name][new] = i
            self.changed.add(name)
        for name, cols in (("group", (3,)), ("gshadow", (2, 3))):
            if not self.has(name):
                continue
            for i, line in enumerate(self.lines[name]):
                f = line.split(":")
                hit = False
                for c in cols:
                    if len(f) > c and old in f[c].split(","):
                        f[c] = ",".join(new if m == old else m for m in f[c].split(","))
                        hit = True
                if hit:
                    self.lines[name][i] = ":".join(f)
                    self.changed.add(name)
        self._gids = None

    def unlock_user(self, name, shell):
        """usermod -U -e '' -s SHELL NAME, in memory ("!" is kept when removing it would leave an
        empty password, as usermod -U refuses to do)."""
        s = self.fields("shadow", name) if self.has("shadow") else None
        if s is not None and len(s) >= 9:
            if s[1].startswith("!") and len(s[1]) > 1:
                s[1] = s[1][1:]
            s[7] = ""
            self.set_fields("shadow", name, s)
        self.set_shell(name, shell)

    # ------------------------------------------------------------------ write
    def commit(self, fail_before_rename=None):
        """Writes the changed files (see the class comment). `fail_before_rename` is for tests: a
        callable run after every temporary file is written and before the first rename."""
        if not self.changed:
            return []
        tmps = []
        try:
            for name in self.COMMIT_ORDER:
                if name not in self.changed:
                    continue
                path = self.path(name)
                st = os.stat(path)
                data = "".join(line + "\n" for line in self.lines[name]).encode("utf-8", "surrogateescape")
                tmp = os.path.join(os.path.dirname(path), ".%s.kiln.%d.tmp" % (name, os.getpid()))
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                tmps.append((name, tmp, path))
                try:
                    os.fchown(fd, st.st_uid, st.st_gid)
                    os.fchmod(fd, st.st_mode & 0o7777)
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                    os.fsync(fd)
                finally:
                    os.close(fd)
            if fail_before_rename is not None:
                fail_before_rename()
        except BaseException as e:
            for _, tmp, _ in tmps:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            if isinstance(e, (OSError, AccountDbError)):
                raise AccountDbError("account files not written (nothing changed): %s" % e)
            raise
        done = []
        try:
            for name, tmp, path in tmps:
                os.rename(tmp, path)
                done.append(name)
        except OSError as e:
            for _, tmp, _ in tmps[len(done):]:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            err = AccountDbError("renaming the account files failed after %s (the next run completes the "
                                 "batch): %s" % (",".join(done) or "none", e))
            err.partial = done
            raise err
        dfd = os.open(os.path.dirname(self.path("passwd")), os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        # The previous versions as NAME- (as shadow-utils keeps them), with the same mode and owner.
        for name, _, path in tmps:
            try:
                st = os.stat(path)
                K.atomic_write(path + "-", self.raw[name], st.st_mode & 0o7777)
                os.chown(path + "-", st.st_uid, st.st_gid)
            except OSError:
                pass
        return done
