"""Kiln IAM access: home directories of the sync's accounts, created and archived without ever
following a path their owner can change.

Creation runs before the account exists (before the account files are committed), so nobody can
log in, or own a process, as the new UID while its home is built; even so, every step works on
directory file descriptors opened with O_NOFOLLOW: entries are created relative to a descriptor
(mkdir/open/symlink with dir_fd), ownership is set with fchown on the opened file or with
follow_symlinks=False on the name inside the held directory. A directory swapped for a symbolic
link mid-copy makes the copy fail (ELOOP/ENOTDIR); nothing outside the home is touched.

Archiving (before a deletion) is bounded: by allocated bytes (sparse files count for the blocks
they use; tar --sparse stores only their data), by time, and by file size (RLIMIT_FSIZE). The
archive is written to an unnamed file (O_TMPFILE) linked into place only when complete, so a
failure or a kill -9 never leaves a partial archive behind.

Used by the sync only (see kiln_iam for the module map).
"""
import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

ARCHIVE_MAX_BYTES = 8 << 30  # allocated bytes of a home that is archived; larger: refused, retried
ARCHIVE_TIMEOUT = 600  # seconds for one archive


def open_dir(path):
    """A descriptor of the directory `path` (absolute), every component opened with O_NOFOLLOW
    relative to its parent: a symbolic link anywhere on the way is refused (ELOOP/ENOTDIR)."""
    fd = os.open("/", _DIR_FLAGS)
    try:
        for part in [p for p in path.split("/") if p]:
            if part in (".", ".."):
                raise OSError("path component %r in %s" % (part, path))
            nfd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd


def create_home(skel, home, uid, gid, hook=None):
    """Creates `home` as a copy of `skel` (regular files, directories, symbolic links), everything
    owned by uid:gid, the home itself mode 0700 and handed to the user last. Returns False (and
    does nothing) when `home` already exists. On an error the partial home is removed.
    `hook(dir_fd, name)` (tests) runs after each directory is created, before it is entered."""
    parent, name = os.path.split(home.rstrip("/"))
    os.makedirs(parent, 0o755, exist_ok=True)  # /home itself: root's, created by root if missing
    pfd = open_dir(parent)
    try:
        try:
            os.mkdir(name, 0o700, dir_fd=pfd)
        except FileExistsError:
            return False
        try:
            hfd = os.open(name, _DIR_FLAGS, dir_fd=pfd)
            try:
                try:
                    sfd = open_dir(skel)
                except FileNotFoundError:
                    sfd = None
                if sfd is not None:
                    try:
                        _copy_tree(sfd, hfd, uid, gid, hook, 0)
                    finally:
                        os.close(sfd)
                os.fchmod(hfd, 0o700)
                os.fchown(hfd, uid, gid)
            finally:
                os.close(hfd)
        except BaseException:
            remove_tree_at(pfd, name)
            raise
    finally:
        os.close(pfd)
    return True


def _copy_tree(src_fd, dst_fd, uid, gid, hook, depth):
    if depth > 32:
        raise OSError("skeleton directory nested too deep")
    for entry in sorted(os.listdir(src_fd)):
        st = os.stat(entry, dir_fd=src_fd, follow_symlinks=False)
        mode = stat.S_IMODE(st.st_mode) & 0o777  # never setuid/setgid/sticky in a user's home
        if stat.S_ISDIR(st.st_mode):
            os.mkdir(entry, 0o700, dir_fd=dst_fd)
            if hook is not None:
                hook(dst_fd, entry)
            d = os.open(entry, _DIR_FLAGS, dir_fd=dst_fd)
            try:
                s = os.open(entry, _DIR_FLAGS, dir_fd=src_fd)
                try:
                    _copy_tree(s, d, uid, gid, hook, depth + 1)
                finally:
                    os.close(s)
                os.fchmod(d, mode)
                os.fchown(d, uid, gid)
            finally:
                os.close(d)
        elif stat.S_ISREG(st.st_mode):
            s = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=src_fd)
            try:
                d = os.open(entry, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                            dir_fd=dst_fd)
                try:
                    while True:
                        b = os.read(s, 1 << 16)
                        if not b:
                            break
                        view = memoryview(b)
                        while view:
                            view = view[os.write(d, view):]
                    os.fchmod(d, mode)
                    os.fchown(d, uid, gid)
                finally:
                    os.close(d)
            finally:
                os.close(s)
        elif stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(entry, dir_fd=src_fd), entry, dir_fd=dst_fd)
            os.chown(entry, uid, gid, dir_fd=dst_fd, follow_symlinks=False)
        # devices, FIFOs, sockets in a skeleton are not copied


def remove_tree_at(dir_fd, name):
    """Removes dir_fd/name recursively without following symbolic links (shutil.rmtree's
    descriptor-based walk)."""
    import shutil

    try:
        shutil.rmtree(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def allocated_bytes(path, limit, seconds):
    """Bytes allocated on disk under `path` (st_blocks: a sparse file counts for its data only),
    symbolic links not followed, not crossing file systems; stops counting above `limit`; OSError
    after `seconds` (millions of small files)."""
    import time

    end = time.monotonic() + seconds
    total = 0
    dev = os.lstat(path).st_dev
    stack = [path]
    while stack:
        if time.monotonic() > end:
            raise OSError("counting the home's size took more than %d s" % seconds)
        with os.scandir(stack.pop()) as it:
            for e in it:
                st = e.stat(follow_symlinks=False)
                total += st.st_blocks * 512
                if total > limit:
                    return total
                if stat.S_ISDIR(st.st_mode) and st.st_dev == dev:
                    stack.append(e.path)
    return total


def archive_home(home, archive_dir, name, timeout=None, max_bytes=None):
    """Archives `home` to archive_dir/name (tar.gz, mode 0600); returns the archive's path. Raises
    OSError with the reason (too large, timed out, tar failed); then no file is left behind."""
    import resource
    import subprocess

    timeout = ARCHIVE_TIMEOUT if timeout is None else timeout
    max_bytes = ARCHIVE_MAX_BYTES if max_bytes is None else max_bytes

    size = allocated_bytes(home, max_bytes, timeout)
    if size > max_bytes:
        raise OSError("home uses more than %d bytes" % max_bytes)
    os.makedirs(archive_dir, 0o700, exist_ok=True)
    target = os.path.join(archive_dir, name)
    try:
        fd = os.open(archive_dir, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        part = None
    except (OSError, AttributeError):  # no O_TMPFILE on this file system: a named part file
        part = target + ".part"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    try:
        try:
            r = subprocess.run(
                ["tar", "--sparse", "--one-file-system", "--numeric-owner", "-czf", "-", "-C",
                 os.path.dirname(home), os.path.basename(home)],
                stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.PIPE, timeout=timeout, preexec_fn=limit)
        except subprocess.TimeoutExpired:
            raise OSError("archiving took more than %d s" % timeout)
        if r.returncode != 0:
            raise OSError("tar exited %d: %s" % (r.returncode, r.stderr.decode("utf-8", "replace").strip()[:200]))
        os.fsync(fd)
        if part is None:
            # linkat(AT_SYMLINK_FOLLOW) of the descriptor's /proc entry: os.link uses linkat (which
            # follows the magic link) only when given a directory descriptor.
            dfd = os.open(archive_dir, _DIR_FLAGS)
            try:
                os.link("/proc/self/fd/%d" % fd, name, dst_dir_fd=dfd)
            finally:
                os.close(dfd)
        else:
            os.rename(part, target)
            part = None
    finally:
        os.close(fd)
        if part is not None:
            try:
                os.unlink(part)
            except OSError:
                pass
    return target


def remove_stale_parts(archive_dir):
    """Part files an interrupted run left (only where O_TMPFILE is unavailable)."""
    try:
        for f in os.listdir(archive_dir):
            if f.endswith(".part"):
                os.unlink(os.path.join(archive_dir, f))
    except OSError:
        pass
