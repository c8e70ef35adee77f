"""Kiln IAM access: which accounts the sync may create and which UID each gets.

Names: an IAM name becomes a Linux name (kiln_iam.iam_to_local) unless that name is, or may later
be, a system account or group: the well-known names below (services a package or cloud agent
creates on first use: a `groupadd docker` must never find an IAM user's group in its place), names
declared in sysusers.d, and every name that exists locally as a system account or group (UID/GID
below UID_MIN/GID_MIN). Refused names are logged; the run goes on with the other users.

UIDs: derived from the IAM UserId (stable on every instance), probed past every UID in use; a UID
the sync once gave out (retired when its account was deleted or disowned) is never given to
another UserId: files left outside the home must not change owner.

Used by the sync only (see kiln_iam for the module map).
"""
import os

import kiln_iam as K

# Names the sync never creates, whether or not they exist on this machine.
RESERVED_NAMES = frozenset(
    """root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc gnats
    nobody nogroup nfsnobody systemd-network systemd-resolve systemd-timesync systemd-journal
    systemd-journal-remote systemd-journal-upload systemd-coredump systemd-oom systemd-bus-proxy
    messagebus syslog sshd kiln-keys kiln-iam ec2-user ec2-instance-connect ssm-user ubuntu admin
    debian centos fedora rocky almalinux cloud-user adm halt shutdown operator ftp polkitd chrony
    _chrony tss dbus apt _apt _rpc _laurel sudo wheel staff users root-admin lxd lxc docker
    dockremap containerd podman postgres mysql mariadb redis nginx apache apache2 httpd memcached
    mongodb rabbitmq elasticsearch kibana grafana prometheus node-exporter zabbix nagios
    jenkins gitlab git git-runner gitlab-runner tomcat jetty nexus sonar mail postfix exim dovecot
    Debian-exim bind named unbound dnsmasq avahi avahi-autoipd colord cups lpadmin saned geoclue
    pulse rtkit usbmux uuidd tcpdump landscape pollinate fwupd-refresh netdev input kvm render sgx
    video audio plugdev dialout cdrom floppy tape voice disk kmem tty utmp shadow crontab ssh
    _ssh ssl-cert lxd-agent snap snapd libvirt libvirt-qemu libvirt-dnsmasq qemu ntp ntpsec
    _ntpsec chrony-helper rpc rpcuser statd _lldpd lldpd haproxy varnish squid openvpn
    wireguard strongswan vault consul nomad telegraf influxdb clickhouse cassandra zookeeper
    kafka hadoop hdfs yarn spark hive solr couchdb minio ceph cephadm ollama mongod
    amazon-ssm-agent cwagent aws-cloudwatch-agent ecs kubelet etcd cloud-init google-guest-agent
    walinuxagent omsagent nxautomation sssd systemd-resolved fail2ban kiln""".split()
)
# Prefixes of service accounts created by tools and packages.
RESERVED_PREFIXES = ("systemd-",)
SYSUSERS_DIRS = ("/usr/lib/sysusers.d", "/etc/sysusers.d", "/run/sysusers.d")


def sysusers_names(root):
    """Names declared in sysusers.d (accounts and groups systemd creates on demand)."""
    out = set()
    for d in SYSUSERS_DIRS:
        try:
            files = os.listdir(K.under_root(root, d))
        except OSError:
            continue
        for f in files:
            if not f.endswith(".conf"):
                continue
            try:
                with open(os.path.join(K.under_root(root, d), f), "r", encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        p = line.split()
                        if len(p) >= 2 and p[0] in ("u", "g", "u!", "m"):
                            out.add(p[1])
                            if p[0] == "m" and len(p) >= 3:
                                out.add(p[2])
            except OSError:
                continue
    return out


def reserved_reason(local, sysusers, system):
    """Why `local` may not become a Kiln account, or None. `sysusers`: names declared in sysusers.d;
    `system`: names of local system accounts and groups (system_names)."""
    if local in RESERVED_NAMES or local.lower() in RESERVED_NAMES:
        return "reserved-name"
    if local.startswith(RESERVED_PREFIXES):
        return "reserved-prefix"
    if local in sysusers:
        return "reserved-name-sysusers"
    if local in system:
        return "existing-system-account-or-group"
    return None


def system_names(passwd, groups, uid_min, gid_min):
    """Names of local system accounts and groups: IDs below UID_MIN / GID_MIN, and nobody/nogroup
    (65534) and the invalid 65535."""
    out = set(n for n, u in passwd.items() if u["uid"] < uid_min or u["uid"] in (65534, 65535))
    out.update(n for n, g in groups.items() if g["gid"] < gid_min or g["gid"] in (65534, 65535))
    return out


def derive_uid(user_id, uid_range):
    """The preferred UID of an IAM user: SHA-256 of its UserId (stable on every instance and for
    as long as the IAM user exists), reduced into uidRange (inclusive)."""
    lo, hi = uid_range
    h = int.from_bytes(K.sha256(("kiln-uid:" + user_id).encode("utf-8")).digest()[:8], "big")
    return lo + h % (hi - lo + 1)


def assign_uid(user_id, uid_range, taken, retired=None):
    """Derived UID, linearly probed (wrapping inside the range) past every UID in `taken` (UIDs of
    existing accounts and of users assigned earlier in this run) and every retired UID that was not
    this UserId's own ({uid: userId}); raises KilnError when full."""
    lo, hi = uid_range
    size = hi - lo + 1
    retired = retired or {}
    uid = derive_uid(user_id, uid_range)
    for _ in range(size):
        if uid not in taken and retired.get(uid, user_id) == user_id:
            return uid
        uid = lo + (uid - lo + 1) % size
    raise K.KilnError("uidRange %d-%d is full" % (lo, hi))
