"""Kiln user sync (/usr/libexec/kiln/sync-users): one run that makes the local accounts match IAM.

Members of the authorized IAM groups (GetGroup, every page; ListUsers when iamGroups is empty) become
local users in the marker group (plus localGroups), with a stable UID derived from their IAM UserId.
Members of a sudoGroup get /etc/sudoers.d/kiln-user-<name> (validated with `visudo -cf`, mode 0440).
A managed user that IAM no longer lists is locked at once (password locked, account expired, shell
nologin, sudo removed, sessions killed) and deleted only after deleteAfterRuns consecutive runs that
confirmed the absence; with keepHome the home directory is archived to stateDir/archive first.

Never loses data: the complete IAM picture is fetched and checked before anything changes; if any
IAM call fails, is throttled, times out or returns an inconsistent page set, the run changes nothing
and exits 1. Runs never overlap (flock on stateDir/sync.lock; a second run exits 3 at once).

Account changes (creations, locks, unlocks, group memberships) are made as one batch per run: the
four account files are read, changed in memory and written back under the shadow lock (see
AccountDb), so 1,000 new users cost one write of each file instead of 1,000 useradd runs. Only
deletions (rare) still use `userdel -r`, one per account, after the batch.

Usage: sync-users [--config FILE] [--root DIR] [--dry-run] [--visudo PATH]
  --root DIR   operate on the account database under DIR (DIR/etc/passwd ..., userdel --root DIR);
               all paths (sudoers.d, stateDir, cacheDir, /etc/skel, home directories) are taken
               under DIR; sessions are not killed.
Exit: 0 run completed, 1 stopped on an error (nothing changed), 2 completed but some local
      commands failed (logged), 3 another run holds the lock.
"""
import os
import time

import kiln_accounts as D
import kiln_aws as A
import kiln_iam as K

IDENT = "kiln-sync-users"
STATE_VERSION = 1
T0 = time.monotonic()


def log(msg, level="info"):
    K.log(IDENT, msg, level)


def parse_args(argv):
    import argparse

    p = argparse.ArgumentParser(prog="sync-users")
    p.add_argument("--config")
    p.add_argument("--root", default="/")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--visudo")
    return p.parse_args(argv)


class Sync(object):
    def __init__(self, cfg, root, dry_run=False, visudo=None, client=None):
        self.cfg = cfg
        self.root = root or "/"
        self.chrooted = self.root not in ("/", "")
        self.dry_run = dry_run
        self.visudo = visudo
        self.client = client
        self.failures = 0
        self.actions = []
        self.state_dir = K.under_root(self.root, cfg["stateDir"])
        self.sudoers_dir = K.under_root(self.root, "/etc/sudoers.d")

    # ---------------------------------------------------------------------------------- commands
    def run(self, argv, ok_codes=(0,)):
        import subprocess

        cmd = list(argv)
        if self.chrooted:
            cmd[1:1] = ["--root", self.root]
        self.actions.append(" ".join(cmd))
        if self.dry_run:
            return True
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            log("command=%s outcome=failed error=%s" % (argv[0], e.__class__.__name__), "err")
            self.failures += 1
            return False
        if r.returncode not in ok_codes:
            err = r.stderr.decode("utf-8", "replace").strip().replace("\n", " | ")[:300]
            log("command=%s outcome=failed rc=%d stderr=%s" % (" ".join(argv[:2] + argv[-1:]), r.returncode, err), "err")
            self.failures += 1
            return False
        return True

    def run_host(self, argv, ok_codes=(0,)):
        """Commands that act on the running system (sessions): skipped under --root."""
        import subprocess

        if self.chrooted or self.dry_run:
            self.actions.append("(skipped under --root) " + " ".join(argv))
            return True
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
            return r.returncode in ok_codes
        except (OSError, subprocess.TimeoutExpired):
            return False

    # ---------------------------------------------------------------------------------- IAM
    def fetch(self):
        """Returns (desired {UserId: UserName}, sudo set of UserIds, groups used). Raises KilnError."""
        deadline = A.Deadline(300)
        groups, sudo_groups = A.effective_groups(self.cfg, self.root, deadline)
        if self.client is None:
            creds = A.get_credentials(self.cfg, deadline, None)
            self.client = A.IamClient(self.cfg, creds, deadline)
        members = {}
        fetched = {}

        def add(name, uid_, into):
            if not name or not uid_:
                raise K.KilnError("member without UserName or UserId")
            prev = into.get(uid_)
            if prev is not None and prev != name:
                raise K.KilnError("UserId %s listed with two names" % uid_)
            into[uid_] = name

        if groups:
            for g in groups:
                if g.lower() in fetched:
                    continue
                fetched[g.lower()] = self.client.get_group_members(g)
                for name, uid_ in fetched[g.lower()]:
                    add(name, uid_, members)
        else:
            for name, uid_ in self.client.list_users():
                add(name, uid_, members)
        sudo = set()
        for g in sudo_groups:
            if g.lower() not in fetched:
                fetched[g.lower()] = self.client.get_group_members(g)
            for name, uid_ in fetched[g.lower()]:
                if uid_ in members:
                    sudo.add(uid_)
        # Case-insensitive uniqueness of IAM names: two ids with names equal ignoring case is
        # an inconsistent answer.
        seen = {}
        for uid_, name in members.items():
            if name.lower() in seen:
                raise K.KilnError("two IAM users named %s ignoring case" % name)
            seen[name.lower()] = uid_
        return members, sudo, (groups, sudo_groups)

    # ---------------------------------------------------------------------------------- state
    def load_state(self):
        p = os.path.join(self.state_dir, "sync-state.json")
        try:
            with open(p, "rb") as f:
                import json

                s = json.loads(f.read().decode("utf-8"))
            if isinstance(s, dict) and s.get("version") == STATE_VERSION:
                return s
            raise K.KilnError("state file %s has an unknown format" % p)
        except FileNotFoundError:
            return {"version": STATE_VERSION, "users": {}}
        except (OSError, ValueError) as e:
            raise K.KilnError("cannot read state %s: %s" % (p, e))

    def save_state(self, state):
        import json

        if self.dry_run:
            return
        K.atomic_write(
            os.path.join(self.state_dir, "sync-state.json"),
            json.dumps(state, sort_keys=True, indent=1).encode("utf-8"),
            0o600,
        )

    # ---------------------------------------------------------------------------------- sudoers
    def sudoers_path(self, local):
        # sudo's #includedir skips names containing "."; local names never contain "%".
        return os.path.join(self.sudoers_dir, "kiln-user-" + local.replace(".", "%"))

    def write_sudoers(self, local):
        import shutil
        import subprocess

        path = self.sudoers_path(local)
        content = ("# Managed by Kiln sync-users; removed with the user.\n%s ALL=(ALL:ALL) NOPASSWD: ALL\n" % local).encode()
        try:
            with open(path, "rb") as f:
                if f.read() == content and (os.stat(path).st_mode & 0o777) == 0o440:
                    return
        except OSError:
            pass
        self.actions.append("sudoers %s" % local)
        if self.dry_run:
            return
        visudo = self.visudo or shutil.which("visudo") or "/usr/sbin/visudo"
        os.makedirs(self.sudoers_dir, 0o750, exist_ok=True)
        tmp = os.path.join(self.sudoers_dir, ".kiln-user-%s.tmp" % local.replace(".", "%"))
        try:
            K.atomic_write(tmp, content, 0o440)
            r = subprocess.run([visudo, "-cf", tmp], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
            if r.returncode != 0:
                raise OSError("visudo -cf rejected the file")
            os.rename(tmp, path)
        except (OSError, subprocess.TimeoutExpired) as e:
            log("user=%s action=sudoers outcome=failed error=%s" % (local, e), "err")
            self.failures += 1
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def remove_sudoers(self, local):
        path = self.sudoers_path(local)
        if os.path.lexists(path):
            self.actions.append("rm sudoers %s" % local)
            if not self.dry_run:
                try:
                    os.unlink(path)
                    log("user=%s action=sudo-revoked" % local)
                except OSError as e:
                    log("user=%s action=sudo-revoke outcome=failed error=%s" % (local, e), "err")
                    self.failures += 1

    # ---------------------------------------------------------------------------------- run
    def shell(self):
        for s in ("/bin/bash", "/bin/sh"):
            if os.path.exists(K.under_root(self.root, s)):
                return s
        return "/bin/sh"

    def nologin(self):
        for s in ("/usr/sbin/nologin", "/sbin/nologin"):
            if os.path.exists(K.under_root(self.root, s)):
                return s
        return "/usr/sbin/nologin"

    def execute(self, fail_before_rename=None):
        import json

        cfg = self.cfg
        lo, hi = cfg["uidRange"]
        marker = cfg["markerGroup"]
        extra = [marker] + list(cfg.get("localGroups") or [])
        # 1. The complete IAM picture, or nothing changes.
        desired, sudo, (groups, sudo_groups) = self.fetch()
        state = self.load_state()
        susers = state.setdefault("users", {})

        # 2. Local groups (the first run only).
        grp = K.read_groups(self.root)
        for g in extra:
            if g not in grp:
                if self.run(["groupadd", "-r", g]):
                    log("group=%s action=created" % g)

        # 3. One batch of account changes, under the shadow lock: nothing else writes the account
        #    files between reading them and renaming the new versions into place.
        db = D.AccountDb(self.root)
        if not self.dry_run:
            db.lock()
        try:
            db.read()
            passwd = db.users()
            grp = db.groups()
            marker_members = set(grp.get(marker, {}).get("members", []))
            managed = marker_members & set(passwd)

            # 3a. Map names; refuse reserved ones with a logged reason.
            want = {}  # local -> (iamName, UserId)
            adopt = set()  # groups left by an interrupted commit (see AccountDb)
            for user_id in sorted(desired):
                name = desired[user_id]
                try:
                    local = K.iam_to_local(name)
                except K.NameRefused as e:
                    log("iam_user=%s action=refused reason=%s" % (name, str(e).replace(" ", "_")), "warning")
                    continue
                reason = None
                if local in D.RESERVED_NAMES or local == cfg["markerGroup"]:
                    reason = "reserved-name"
                elif local in passwd and local not in managed:
                    reason = "existing-unmanaged-account"
                elif local in passwd and not (lo <= passwd[local]["uid"] <= hi):
                    reason = "uid-outside-range"
                elif local in grp and local not in passwd:
                    if local in marker_members and not grp[local]["members"]:
                        adopt.add(local)
                    else:
                        reason = "name-taken-by-group"
                if reason:
                    log("iam_user=%s local=%s action=refused reason=%s" % (name, local, reason), "warning")
                    continue
                want[local] = (name, user_id)

            # 3b. Create / refresh present users.
            taken = set(u["uid"] for u in passwd.values())
            created, unlocked, failed = [], [], set()
            home_base = db.useradd_defaults.get("HOME") or "/home"
            for local in sorted(want):
                name, user_id = want[local]
                rec = susers.get(local) or {}
                if local not in passwd:
                    uid = rec.get("uid") if rec.get("userId") == user_id and rec.get("uid") not in taken else None
                    if uid is None:
                        uid = D.assign_uid(user_id, (lo, hi), taken)
                    gid = grp[local]["gid"] if local in adopt else db.new_gid(uid)
                    if gid is None:
                        log("user=%s iam_user=%s action=create outcome=failed error=no_free_gid" % (local, name), "err")
                        self.failures += 1
                        failed.add(local)
                        continue
                    taken.add(uid)
                    home = os.path.join(home_base, local)
                    db.add_user(local, uid, gid, "Kiln IAM user", home, self.shell(), extra)
                    self.actions.append("add user %s uid=%d gid=%d" % (local, uid, gid))
                    created.append((local, name, uid, gid, home))
                    susers[local] = {"iamName": name, "userId": user_id, "uid": uid, "absentRuns": 0, "locked": False}
                else:
                    if rec.get("locked") or passwd[local]["shell"].endswith("nologin"):
                        db.unlock_user(local, self.shell())
                        self.actions.append("unlock user %s" % local)
                        unlocked.append((local, name))
                    for g in extra:
                        db.add_member(g, local)
                    susers[local] = {"iamName": name, "userId": user_id, "uid": passwd[local]["uid"],
                                     "absentRuns": 0, "locked": False}

            # 3c. Managed users IAM no longer lists: lock now, delete after deleteAfterRuns runs.
            after = max(1, int(cfg.get("deleteAfterRuns", 3)))
            absent = sorted(managed - set(want))
            locked_now, to_delete = [], []
            for local in absent:
                rec = susers.setdefault(local, {"uid": passwd[local]["uid"], "absentRuns": 0, "locked": False})
                rec["absentRuns"] = int(rec.get("absentRuns", 0)) + 1
                if not rec.get("locked"):
                    db.lock_user(local, self.nologin())
                    self.actions.append("lock user %s" % local)
                    rec["locked"] = True
                    rec["lockedAt"] = int(time.time())
                    locked_now.append(local)
                if rec["absentRuns"] >= after:
                    to_delete.append(local)

            # 3d. Commit (D.AccountDbError: nothing changed, the run stops with exit status 1).
            committed = [] if self.dry_run else db.commit(fail_before_rename)
        finally:
            db.unlock()

        # 4. What follows the commit: home directories, sudoers, sessions, deletions.
        for local, name, uid, gid, home in created:
            log("user=%s iam_user=%s uid=%d action=created" % (local, name, uid))
            if self.dry_run:
                continue
            try:
                D.copy_skel(K.under_root(self.root, "/etc/skel"), K.under_root(self.root, home), uid, gid)
            except OSError as e:
                log("user=%s action=home outcome=failed error=%s" % (local, e), "err")
                self.failures += 1
        for local, name in unlocked:
            log("user=%s iam_user=%s action=unlocked reason=listed-in-iam-again" % (local, name))
        for local in sorted(want):
            if local in failed:
                continue
            if want[local][1] in sudo:
                self.write_sudoers(local)
            else:
                self.remove_sudoers(local)
        for local in absent:
            self.remove_sudoers(local)
            if local in locked_now:
                self.run_host(["loginctl", "terminate-user", local], ok_codes=(0, 1))
                self.run_host(["pkill", "-KILL", "-u", local], ok_codes=(0, 1))
                log("user=%s action=locked absent_runs=%d delete_after=%d" % (
                    local, susers[local]["absentRuns"], after), "notice")
        for local in to_delete:
            if self.delete_user(local, passwd[local]):
                susers.pop(local, None)
        # Users in state that no longer exist locally (deleted by hand) are forgotten.
        for local in list(susers):
            if local not in passwd and local not in want:
                susers.pop(local, None)
        # Leftover sudoers files of Kiln users that are not (or no longer) sudoers.
        try:
            for f in os.listdir(self.sudoers_dir):
                if f.startswith("kiln-user-"):
                    local = f[len("kiln-user-"):].replace("%", ".")
                    if local not in want or want[local][1] not in sudo:
                        self.remove_sudoers(local)
        except OSError:
            pass

        state["lastRun"] = int(time.time())
        self.save_state(state)
        if not self.dry_run:
            K.atomic_write(os.path.join(self.state_dir, "groups.json"),
                           json.dumps({"iamGroups": groups, "sudoGroups": sudo_groups}, sort_keys=True).encode(), 0o644)
            self.ensure_cache_dir()
            if committed:
                self.flush_name_caches()
                self.check_account_files()
        return want

    def flush_name_caches(self):
        """As useradd does: nscd and sssd must not answer from stale caches (host only)."""
        import shutil

        if self.chrooted:
            return
        if shutil.which("nscd"):
            for db in ("passwd", "group"):
                self.run_host(["nscd", "-i", db])
        if shutil.which("sss_cache"):
            self.run_host(["sss_cache", "-UG"])

    def check_account_files(self):
        """pwck -r -q and grpck -r on the result; a complaint is logged (the files are already in
        place: the next run does not depend on it)."""
        for argv in (["pwck", "-r", "-q"], ["grpck", "-r"]):
            if self.chrooted:
                argv += ["-R", self.root]
            import subprocess

            try:
                r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if r.returncode != 0:
                out = r.stdout.decode("utf-8", "replace").strip().replace("\n", " | ")[:300]
                log("check=%s outcome=complaint rc=%d output=%s" % (argv[0], r.returncode, out), "warning")

    def delete_user(self, local, pw):
        home = K.under_root(self.root, pw["home"])
        if self.cfg.get("keepHome", True) and os.path.isdir(home) and pw["home"] not in ("/", ""):
            archive_dir = os.path.join(self.state_dir, "archive")
            name = "%s-%d-%s.tar.gz" % (local, pw["uid"], time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
            target = os.path.join(archive_dir, name)
            self.actions.append("archive %s -> %s" % (home, target))
            if not self.dry_run:
                import subprocess

                os.makedirs(archive_dir, 0o700, exist_ok=True)
                r = subprocess.run(
                    ["tar", "--numeric-owner", "-czf", target + ".part", "-C", os.path.dirname(home), os.path.basename(home)],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=3600,
                )
                if r.returncode != 0:
                    log("user=%s action=archive outcome=failed rc=%d (user kept, locked)" % (local, r.returncode), "err")
                    self.failures += 1
                    try:
                        os.unlink(target + ".part")
                    except OSError:
                        pass
                    return False
                os.chmod(target + ".part", 0o600)
                os.rename(target + ".part", target)
                log("user=%s action=home-archived archive=%s" % (local, target))
        self.run_host(["pkill", "-KILL", "-u", local], ok_codes=(0, 1))
        if not self.run(["userdel", "-r", local], ok_codes=(0, 12)):
            return False
        self.remove_sudoers(local)
        try:
            os.unlink(os.path.join(K.under_root(self.root, self.cfg["cacheDir"]), local + ".json"))
        except OSError:
            pass
        log("user=%s uid=%d action=deleted" % (local, pw["uid"]), "notice")
        return True

    def ensure_cache_dir(self):
        """The key command's cache directory: owned by kiln-keys, mode 0700."""
        d = K.under_root(self.root, self.cfg["cacheDir"])
        try:
            os.makedirs(d, 0o700, exist_ok=True)
            pw = K.read_passwd(self.root).get("kiln-keys")
            if pw and os.geteuid() == 0:
                st = os.stat(d)
                if st.st_uid != pw["uid"]:
                    os.chown(d, pw["uid"], pw["gid"])
                os.chmod(d, 0o700)
        except OSError as e:
            log("cache_dir=%s outcome=failed error=%s" % (d, e), "warning")


def main(argv, t0=None):
    import fcntl

    global T0
    T0 = T0 if t0 is None else t0

    args = parse_args(argv)
    try:
        cfg = K.load_config(args.config)
    except K.KilnError as e:
        log("outcome=error stage=config error=%s" % e, "err")
        return 1
    sync = Sync(cfg, args.root, args.dry_run, args.visudo)
    try:
        os.makedirs(sync.state_dir, 0o700, exist_ok=True)
        lock_fd = os.open(os.path.join(sync.state_dir, "sync.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        log("outcome=error stage=lock error=%s" % e, "err")
        return 1
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        log("outcome=busy another sync run holds the lock; nothing changed", "warning")
        os.close(lock_fd)
        return 3
    try:
        try:
            want = sync.execute()
        except K.KilnError as e:
            calls = sync.client.total_calls() if sync.client else 0
            log("outcome=error stage=%s error=%s iam_calls=%d nothing_changed=%s duration_ms=%.0f" % (
                "accounts" if isinstance(e, D.AccountDbError) else "iam", e, calls,
                "no" if getattr(e, "partial", None) else "yes", (time.monotonic() - T0) * 1000), "err")
            return 1
        calls = sync.client.calls if sync.client else {}
        log("outcome=%s users=%d failures=%d iam_calls=%s duration_ms=%.0f" % (
            "ok" if not sync.failures else "partial", len(want), sync.failures,
            ",".join("%s:%d" % kv for kv in sorted(calls.items())) or "0", (time.monotonic() - T0) * 1000))
        return 0 if not sync.failures else 2
    finally:
        os.close(lock_fd)



