#!/usr/bin/env bash
# Kiln: makes every sshd configuration file say what Kiln's drop-in says (scanner-proof files).
#
#   bash sshd-align.sh KILN_DROPIN SSHD_CONFIG DROPIN_DIR
#
# provision.sh runs it at bake time; kiln:validate runs the same file on a copy of the recipe's
# stock files. Compliance scanners read files, not `sshd -T`: some read only sshd_config, others
# every drop-in and want every occurrence of a keyword to carry the expected value. So:
#   - SSHD_CONFIG starts with `Include DROPIN_DIR/*.conf`, then a copy of every single-valued line
#     of KILN_DROPIN (same keyword, same value), then its other lines with Kiln's keywords removed;
#   - in every other file of DROPIN_DIR, a line setting a single-valued keyword Kiln sets is
#     replaced by Kiln's line (also inside Match blocks), and a line setting an additive keyword
#     (Port, HostKey, AllowGroups, ListenAddress: they add up instead of "first wins") is removed;
#   - in every file but Kiln's own, a line that could trust a CA or name principals
#     (TrustedUserCAKeys, AuthorizedPrincipalsFile/Command/CommandUser) is removed, also inside Match
#     blocks: a `Match all` in a drop-in that sorts before Kiln's slot block would otherwise open
#     every account to that CA. Only Kiln's own drop-ins (KILN_OWN_DROPINS) may state them.
# So the first value sshd reads (from KILN_DROPIN, read first) is the only value any file states.
set -euo pipefail

[ "$#" -eq 3 ] || { echo "usage: bash sshd-align.sh KILN_DROPIN SSHD_CONFIG DROPIN_DIR" >&2; exit 2; }
kiln_dropin=$1
sshd_config=$2
dropin_dir=$3
[ -f "$kiln_dropin" ] || { echo "sshd-align: $kiln_dropin: missing" >&2; exit 1; }
[ -f "$sshd_config" ] || { echo "sshd-align: $sshd_config: missing" >&2; exit 1; }
include_line="Include $dropin_dir/*.conf"
additive='port hostkey allowgroups listenaddress'
slot='trustedusercakeys authorizedprincipalsfile authorizedprincipalscommand authorizedprincipalscommanduser'

# rewrite FILE MODE: MODE "main" for SSHD_CONFIG, "dropin" for another drop-in. The file is
# replaced by rename, keeping its mode and owner; a symlink (a package's drop-in) becomes a file.
rewrite() {
  local file=$1 mode=$2 tmp
  tmp=$(mktemp "$(dirname "$file")/.kiln-align.XXXXXX")
  awk -v mode="$mode" -v additive="$additive" -v slot="$slot" -v include="$include_line" '
    function key(line,   t) {
      sub(/^[ \t]+/, "", line)
      split(line, t, /[ \t=]+/)
      k = tolower(t[1])
      # ChallengeResponseAuthentication is the deprecated alias of KbdInteractiveAuthentication.
      return k == "challengeresponseauthentication" ? "kbdinteractiveauthentication" : k
    }
    BEGIN {
      n = split(additive, a, " "); for (i = 1; i <= n; i++) add[a[i]] = 1
      n = split(slot, a, " "); for (i = 1; i <= n; i++) owned[a[i]] = 1
    }
    FNR == NR {
      if ($0 ~ /^[A-Za-z]/) { k = key($0); if (!(k in kiln)) { kiln[k] = $0; order[++m] = k } }
      next
    }
    FNR == 1 && mode == "main" {
      print include
      print "# Kiln: the values of its drop-in 00-kiln-hardening.conf, stated here too for scanners"
      print "# that read only this file (additive keywords only in the drop-in)."
      for (i = 1; i <= m; i++) if (!(order[i] in add)) print kiln[order[i]]
      print "# Kiln: end of its values; the stock lines follow, without the keywords above."
    }
    {
      line = $0
      if (mode == "main" && line == include) next
      if (line !~ /^[ \t]*[A-Za-z]/) { print; next }
      k = key(line)
      if (k in owned) { print "# kiln: removed a " k " line (only Kiln'"'"'s drop-ins trust a CA)"; next }
      if (!(k in kiln)) { print; next }
      if (mode == "main") { print "# kiln: " k " is set at the top of this file"; next }
      if (k in add) { print "# kiln: removed a " k " line (00-kiln-hardening.conf sets it)"; next }
      match(line, /^[ \t]*/)
      print "# kiln: aligned with 00-kiln-hardening.conf"
      print substr(line, 1, RLENGTH) kiln[k]
    }
  ' "$kiln_dropin" "$file" > "$tmp"
  chmod --reference="$file" "$tmp"
  chown --reference="$file" "$tmp"
  mv -f "$tmp" "$file"
}

for f in "$dropin_dir"/*; do
  [ -e "$f" ] || continue
  [ "$(cd "$(dirname "$f")" && pwd -P)/$(basename "$f")" = "$(cd "$(dirname "$kiln_dropin")" && pwd -P)/$(basename "$kiln_dropin")" ] && continue
  [ -f "$f" ] || continue
  # Kiln's own other drop-ins (KILN_OWN_DROPINS: file names) say what Kiln means already.
  case " ${KILN_OWN_DROPINS:-} " in *" $(basename "$f") "*) continue ;; esac
  echo "sshd-align: aligning $f with $(basename "$kiln_dropin")" >&2
  rewrite "$f" dropin
done
rewrite "$sshd_config" main
