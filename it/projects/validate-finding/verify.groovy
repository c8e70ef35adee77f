// A drop-in that permits root fails validation, naming the control and the effective value.
def log = new File(basedir, 'build.log').text
assert log.contains('kiln:validate found')
assert log.contains("[debian-12] sshd.permitrootlogin (docs/hardening.md#sshd.permitrootlogin, control 2): effective permitrootlogin is 'yes', expected 'no'")
return true
