"""Kiln user sync (/usr/libexec/kiln/sync-users): one run that makes the local accounts match IAM.

Members of the authorized IAM groups (GetGroup, every page; ListUsers when iamGroups is empty) become
local users in the marker group (plus localGroups), with a stable UID derived from their IAM UserId.

Ownership: an account belongs to an IAM UserId. The sync locks, kills, renames or deletes only
accounts it created: in the marker group AND with a UID inside uidRange AND recorded in its state
(stateDir/sync-state.json, keyed by UserId) with that name and UID. Anything else in the marker
group is logged and left alone. A new UserId under a name in use (IAM name re-used) gets an account
only once the old one is gone; the old one is handled as absent. The same UserId under a new name
keeps its account, renamed. A UID once given out is retired with its UserId, never given to
another. An account locked locally (usermod -L / -e / nologin shell) is never unlocked by the
sync: it unlocks only what it locked.
Members of a sudoGroup get /etc/sudoers.d/kiln-user-<name> (validated with `visudo -cf`, mode 0440).
A managed user that IAM no longer lists is locked at once (password locked, account expired, shell
nologin, sudo removed, sessions killed) and deleted only after deleteAfterRuns consecutive runs that
confirmed the absence; with keepHome the home directory is archived to stateDir/archive first.

Never loses data: the complete IAM picture is fetched and checked before anything changes; if any
IAM call fails, is throttled, times out or returns an inconsistent page set, the run changes nothing
and exits 1. Runs never overlap (flock on stateDir/sync.lock; a second run exits 3 at once).

Account changes (creations, renames, locks, unlocks, group memberships) are made as one batch per run: the
four account files are read, changed in memory and written back under the shadow lock (see
AccountDb), so 1,000 new users cost one write of each file instead of 1,000 useradd runs. Only
deletions (rare) still use `userdel -r`, one per account, after the batch. Home directories of new
accounts are built before the batch is committed (kiln_homes): nobody can log in as an account
whose home is still being copied.

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
import kiln_homes as H
import kiln_iam as K
import kiln_policy as P
from kiln_syncops import SyncOps, log

T0 = time.monotonic()


def parse_args(argv):
    import argparse

    p = argparse.ArgumentParser(prog="sync-users")
    p.add_argument("--config")
    p.add_argument("--root", default="/")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--visudo")
    return p.parse_args(argv)


class Sync(SyncOps):
    IAM_DEADLINE = 300.0  # seconds for the whole IAM fetch, enforced inside every read

    def __init__(self, *a, **kw):
        SyncOps.__init__(self, *a, **kw)
        self.iam_deadline = self.IAM_DEADLINE

    # ---------------------------------------------------------------------------------- IAM
    def fetch(self):
        """Returns (desired {UserId: UserName}, sudo set of UserIds, groups used). Raises KilnError."""
        deadline = A.Deadline(self.iam_deadline)
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

    # ---------------------------------------------------------------------------------- ownership
    def owned(self, state, passwd, marker_members):
        """{local: UserId} of the accounts the sync created and still owns. A record whose account
        is gone, or no longer matches (name, UID, marker group, uidRange), is dropped and its UID
        retired: that account is not the sync's any more."""
        lo, hi = self.cfg["uidRange"]
        out = {}
        for user_id, rec in sorted(state["accounts"].items()):
            local = rec.get("local")
            pw = passwd.get(local)
            if pw is not None and pw["uid"] == rec.get("uid") and lo <= pw["uid"] <= hi and local in marker_members \
                    and local not in out:
                out[local] = user_id
                continue
            log("user=%s uid=%s action=forgotten reason=%s" % (
                local, rec.get("uid"), "account-gone" if pw is None else "account-changed-locally"), "warning")
            if isinstance(rec.get("uid"), int):
                state["retiredUids"][str(rec["uid"])] = user_id
            del state["accounts"][user_id]
        for local in sorted(marker_members - set(out)):
            if local in passwd:
                log("user=%s uid=%d action=left-alone reason=in-marker-group-not-created-by-kiln" % (
                    local, passwd[local]["uid"]), "warning")
        return out

    def plan(self, desired, state, owned, passwd, grp, marker_members, db):
        """Which IAM users keep, get, or are renamed to which account: (want {local: (iamName,
        UserId)}, creates [local], renames [(UserId, old, new)], adopt {local})."""
        by_id = dict((u, l) for l, u in owned.items())
        sysusers = P.sysusers_names(self.root)
        system = P.system_names(passwd, grp, D._num(db.defs, "UID_MIN", 1000), D._num(db.defs, "GID_MIN", 1000))
        want, creates, renames, adopt = {}, [], [], set()
        for user_id in sorted(desired):
            name = desired[user_id]
            try:
                local = K.iam_to_local(name)
            except K.NameRefused as e:
                log("iam_user=%s action=refused reason=%s" % (name, str(e).replace(" ", "_")), "warning")
                continue
            cur = by_id.get(user_id)
            reason = P.reserved_reason(local, sysusers, system) or (
                "reserved-name" if local == self.cfg["markerGroup"] else None)
            if cur == local:
                want[local] = (name, user_id)
                continue
            if reason is None and local in want:
                reason = "name-in-use"
            elif reason is None and local in passwd:
                reason = "name-held-by-previous-owner" if local in owned else "existing-unmanaged-account"
            elif reason is None and local in grp:
                if cur is None and local in marker_members and not grp[local]["members"]:
                    adopt.add(local)  # the group of an interrupted commit (see AccountDb)
                else:
                    reason = "name-taken-by-group"
            if cur is not None:  # the same person, renamed in IAM
                if reason:
                    log("user=%s iam_user=%s action=rename-postponed to=%s reason=%s" % (cur, name, local, reason),
                        "warning")
                    want[cur] = (name, user_id)
                else:
                    renames.append((user_id, cur, local))
                    want[local] = (name, user_id)
                continue
            if reason:
                log("iam_user=%s user_id=%s local=%s action=refused reason=%s" % (name, user_id, local, reason),
                    "warning")
                continue
            creates.append(local)
            want[local] = (name, user_id)
        return want, creates, renames, adopt

    # ---------------------------------------------------------------------------------- run
    def execute(self, fail_before_rename=None):
        cfg = self.cfg
        lo, hi = cfg["uidRange"]
        marker = cfg["markerGroup"]
        extra = [marker] + list(cfg.get("localGroups") or [])
        # 1. The complete IAM picture, or nothing changes.
        desired, sudo, (groups, sudo_groups) = self.fetch()
        state = self.load_state()
        accounts = state["accounts"]

        # 2. Local groups (the first run only).
        grp = K.read_groups(self.root)
        for g in extra:
            if g not in grp:
                if self.run(["groupadd", "-r", g]):
                    log("group=%s action=created" % g)

        # 3. One batch of account changes, under the shadow lock.
        db = D.AccountDb(self.root)
        if not self.dry_run:
            db.lock()
        built = []  # homes created for this batch: removed again if it is not committed
        home_base = db.useradd_defaults.get("HOME") or "/home"
        try:
            db.read()
            passwd = db.users()
            grp = db.groups()
            marker_members = set(grp.get(marker, {}).get("members", []))
            owned = self.owned(state, passwd, marker_members)
            want, creates, renames, adopt = self.plan(desired, state, owned, passwd, grp, marker_members, db)

            # 3a. Renames (same UserId, new IAM name): the account, its group and its home follow.
            for user_id, old, new in renames:
                home = passwd[old]["home"]
                if home == os.path.join(home_base, old):
                    home = self.move_home(home_base, old, new)
                db.rename_user(old, new, home)
                accounts[user_id]["local"] = new
                self.actions.append("rename user %s -> %s" % (old, new))
                log("user=%s action=renamed to=%s user_id=%s" % (old, new, user_id), "notice")
                self.forget_cache(old)

            # 3b. New accounts; each home is complete before the account exists.
            taken = set(u["uid"] for u in passwd.values()) | set(r.get("uid") for r in accounts.values())
            retired = dict((int(k), v) for k, v in state["retiredUids"].items())
            for local in sorted(creates):
                name, user_id = want[local]
                try:
                    uid = P.assign_uid(user_id, (lo, hi), taken, retired)
                except K.KilnError:  # uidRange full: this user waits, the others go on
                    uid = None
                gid = None if uid is None else grp[local]["gid"] if local in adopt else db.new_gid(uid)
                home = os.path.join(home_base, local)
                error = "no_free_uid" if uid is None else "no_free_gid" if gid is None else None
                if error is None and not self.dry_run:
                    error = self.build_home(home, uid, gid, built)
                if error:
                    log("user=%s iam_user=%s action=create outcome=failed error=%s" % (local, name, error), "err")
                    self.failures += 1
                    del want[local]
                    continue
                taken.add(uid)
                db.add_user(local, uid, gid, "Kiln IAM user", home, self.shell(), extra)
                self.actions.append("add user %s uid=%d gid=%d" % (local, uid, gid))
                accounts[user_id] = {"local": local, "uid": uid, "iamName": name, "absentRuns": 0,
                                     "lockedBySync": False}
                log("user=%s iam_user=%s uid=%d action=created" % (local, name, uid))

            # 3c. Present accounts: unlocked only if the sync locked them.
            for local in sorted(want):
                name, user_id = want[local]
                rec = accounts[user_id]
                rec.update(iamName=name, absentRuns=0)
                rec.pop("deleteError", None)
                if rec.get("lockedBySync"):
                    db.unlock_user(local, self.shell())
                    rec["lockedBySync"] = False
                    self.actions.append("unlock user %s" % local)
                    log("user=%s iam_user=%s action=unlocked reason=listed-in-iam-again" % (local, name))
                elif db.is_locked(local):
                    log("user=%s action=left-locked reason=locked-locally" % local, "notice")
                for g in extra:
                    db.add_member(g, local)

            # 3d. Owned accounts IAM no longer lists: lock now, delete after deleteAfterRuns runs.
            after = max(1, int(cfg.get("deleteAfterRuns", 3)))
            absent = sorted((l, u) for l, u in owned.items() if u not in desired)
            locked_now, to_delete = [], []
            for local, user_id in absent:
                rec = accounts[user_id]
                rec["absentRuns"] = int(rec.get("absentRuns", 0)) + 1
                if not db.is_locked(local):
                    db.lock_user(local, self.nologin())
                    rec["lockedBySync"] = True
                    rec["lockedAt"] = int(time.time())
                    self.actions.append("lock user %s" % local)
                    locked_now.append(local)
                if rec["absentRuns"] >= after:
                    to_delete.append((local, user_id))

            # 3e. Commit (AccountDbError: nothing changed, the run stops with exit status 1).
            committed = [] if self.dry_run else db.commit(fail_before_rename)
        except BaseException:
            self.unbuild(built)
            raise
        finally:
            db.unlock()

        # 4. What follows the commit: sudoers, sessions, deletions, the key command's view.
        active = {}
        for local in sorted(want):
            user_id = want[local][1]
            if user_id in sudo and not db.is_locked(local):
                self.write_sudoers(local)
            else:
                self.remove_sudoers(local)
            if not db.is_locked(local):
                active[local] = {"userId": user_id, "uid": accounts[user_id]["uid"]}
        for local, user_id in absent:
            self.remove_sudoers(local)
            self.forget_cache(local)
            if local in locked_now:
                self.kill_sessions(accounts[user_id]["uid"])
                log("user=%s action=locked absent_runs=%d delete_after=%d" % (
                    local, accounts[user_id]["absentRuns"], after), "notice")
        self.publish(groups, sudo_groups, active)
        for local, user_id in to_delete:
            own_home = passwd[local]["home"] == os.path.join(home_base, local)
            if self.still_owned(local, accounts[user_id], marker) and \
                    self.delete_user(local, passwd[local], accounts[user_id], own_home):
                state["retiredUids"][str(accounts[user_id]["uid"])] = user_id
                del accounts[user_id]
        self.remove_leftover_sudoers(want, sudo)
        state["lastRun"] = int(time.time())
        self.save_state(state)
        if committed:
            self.flush_name_caches()
            self.check_account_files()
        return want

    def build_home(self, home, uid, gid, built):
        """None, or why the home of a new account could not be built."""
        path = K.under_root(self.root, home)
        try:
            if H.create_home(K.under_root(self.root, "/etc/skel"), path, uid, gid):
                built.append(path)
                return None
            st = os.lstat(path)
            if st.st_uid == uid and os.path.isdir(path) and not os.path.islink(path):
                return None  # built by an earlier run whose commit did not complete
            return "home_exists_owned_by_someone_else"
        except OSError as e:
            return "home:%s" % e.__class__.__name__

    def unbuild(self, built):
        for path in built:
            try:
                fd = H.open_dir(os.path.dirname(path))
                try:
                    H.remove_tree_at(fd, os.path.basename(path))
                finally:
                    os.close(fd)
            except OSError:
                pass

    def move_home(self, home_base, old, new):
        """/home/OLD -> /home/NEW inside the (root's) home base, by descriptor; the old path is
        kept when the new one exists or the move fails."""
        if self.dry_run:
            return os.path.join(home_base, new)
        try:
            fd = H.open_dir(K.under_root(self.root, home_base))
        except OSError:
            return os.path.join(home_base, old)
        try:
            os.stat(new, dir_fd=fd, follow_symlinks=False)
            return os.path.join(home_base, old)
        except FileNotFoundError:
            pass
        try:
            os.rename(old, new, src_dir_fd=fd, dst_dir_fd=fd)
            return os.path.join(home_base, new)
        except OSError:
            return os.path.join(home_base, old)
        finally:
            os.close(fd)

    def still_owned(self, local, rec, marker):
        """Re-read just before a deletion: the same name, UID and marker-group membership."""
        pw = K.read_passwd(self.root).get(local)
        g = K.read_groups(self.root).get(marker) or {}
        return pw is not None and pw["uid"] == rec["uid"] and local in g.get("members", [])

    def remove_leftover_sudoers(self, want, sudo):
        """sudoers files of Kiln users that are not (or no longer) sudoers."""
        try:
            for f in os.listdir(self.sudoers_dir):
                if f.startswith("kiln-user-"):
                    local = f[len("kiln-user-"):].replace("%", ".")
                    if local not in want or want[local][1] not in sudo:
                        self.remove_sudoers(local)
        except OSError:
            pass


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



