#!/bin/sh
# Kiln sandbox: what systemd would run at a candidate's first boot, run in the candidate's chroot
# (its own PID, UTS, mount and network namespaces) before sshd starts. Instance already ran
# `ssh-keygen -A` (first-boot host keys). Everything written here lands in the instance's upper
# layer, never in the image layer.
#
#   /run/kiln/boot.env      KILN_EMULATOR (http://ADDR:PORT of the AWS API emulator), KILN_REGION,
#                           KILN_EXEMPT_SOURCES (verify's user and probe addresses, comma-separated)
#   /run/kiln/*.local       the sandbox-only fail2ban jail and filter
#   /run/kiln/sshd.argv     sshd's command line as the image's systemd unit would start it (its
#                           ExecStart after the unit's drop-ins), one argument per line
#
# It ends by exec'ing that sshd, which stays PID 1 of the candidate.
set -u
. /run/kiln/boot.env
log() { printf 'kiln-boot: %s\n' "$*" >> /var/log/kiln-boot.log; }

# A resolvable hostname (sudo looks it up).
h=$(hostname)
grep -q " $h\$" /etc/hosts 2>/dev/null || printf '127.0.1.1 %s\n' "$h" >> /etc/hosts

# Sandbox only: the emulator stands in for iam.amazonaws.com and sts.amazonaws.com. sshd runs the key
# command with a minimal environment, so the endpoints go into this instance's access.json (upper
# layer); the image's file is untouched.
if [ -f /etc/kiln/access.json ]; then
  python3 -c '
import json, sys
p, url = sys.argv[1], sys.argv[2]
with open(p) as f:
    c = json.load(f)
c["iamEndpoint"] = url
c["stsEndpoint"] = url
with open(p + ".kiln-boot", "w") as f:
    json.dump(c, f, indent=2, sort_keys=True)
    f.write("\n")
' /etc/kiln/access.json "$KILN_EMULATOR" && chmod 0644 /etc/kiln/access.json.kiln-boot \
    && mv -f /etc/kiln/access.json.kiln-boot /etc/kiln/access.json
fi

# Sandbox only: no journal here, sshd logs to /var/log/sshd.log (-E) without a syslog prefix; the
# jail polls that file with a filter that expects no prefix and no date.
mkdir -p /etc/fail2ban/jail.d /etc/fail2ban/filter.d /run/fail2ban /var/log
install -m 0644 /run/kiln/kiln-sandbox-sshd.conf /etc/fail2ban/filter.d/kiln-sandbox-sshd.conf
install -m 0644 /run/kiln/zz-kiln-sandbox.local /etc/fail2ban/jail.d/zz-kiln-sandbox.local
: > /var/log/sshd.log
touch /var/log/fail2ban.log

# Sandbox only: OpenSSH >= 9.8 refuses a source on its own once it has collected enough penalty
# (PerSourcePenalties: failed authentications, connections that never authenticate). Verify's own
# sources, `user` (logins, ssh-audit) and `probe` (the logins meant to fail), are exempt, as fail2ban
# ignores `probe` at run time; the `attacker` source never is. Older sshd has no such keyword.
if /usr/sbin/sshd -T 2>/dev/null | grep -q '^persourcepenalties '; then
  printf '%s\n' '# Kiln sandbox only (instance upper layer): verify'"'"'s user and probe sources.' \
    "PerSourcePenaltyExemptList $KILN_EXEMPT_SOURCES" > /etc/ssh/sshd_config.d/zz-kiln-sandbox.conf
  chmod 0600 /etc/ssh/sshd_config.d/zz-kiln-sandbox.conf
  log "sshd penalties: exempt $KILN_EXEMPT_SOURCES"
fi

# kiln-sync-users.service: IAM users of the authorized groups become local users.
if [ -x /usr/libexec/kiln/sync-users ]; then
  if AWS_ENDPOINT_URL_IAM="$KILN_EMULATOR" AWS_ENDPOINT_URL_STS="$KILN_EMULATOR" AWS_REGION="$KILN_REGION" \
      /usr/libexec/kiln/sync-users --config /etc/kiln/access.json >> /var/log/kiln-sync.log 2>&1; then
    log "sync-users ok"
  else
    log "sync-users failed (exit $?)"
  fi
fi

# fail2ban.service
if command -v fail2ban-client >/dev/null 2>&1; then
  if fail2ban-client -x start >> /var/log/kiln-boot.log 2>&1; then
    log "fail2ban started"
  else
    log "fail2ban failed to start"
  fi
fi
log "boot done"

# ssh.service: exactly the command line the image's unit and its drop-ins give (-o options of a
# unit drop-in included: they reach the live daemon as on EC2), logging to /var/log/sshd.log.
set --
while IFS= read -r a; do set -- "$@" "$a"; done < /run/kiln/sshd.argv
exec "$@" -E /var/log/sshd.log
