// An image baked wrong on purpose (root may log in): kiln:verify fails naming the control, the
// report shows it, and terminate still removed the candidate.
def log = new File(basedir, 'build.log').text
assert log.contains('hardening control(s) failed on i-')
assert log.contains("- sshd-effective-config: expected sshd -t exits 0 and every sshd control of hardening.md holds in sshd -T; observed ")
assert log.contains("effective permitrootlogin is 'yes', expected 'no'")
def junit = new File(basedir, 'target/kiln/report/TEST-kiln-hardening.xml').text
assert junit =~ /testcase[^>]*name="sshd-effective-config"[^>]*>\s*<failure/
// This build's candidate i-XXXXXXXX… lived in namespaces kilnc-XXXXXXXX-*: all gone.
def id = (log =~ /Candidate (i-[0-9a-f]+) answers/)[0][1]
def ns = 'ip netns list'.execute().text
assert !ns.contains('kilnc-' + id.substring(2, 10)) : "namespaces left behind: ${ns}"
return true
