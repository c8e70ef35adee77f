// Every bad value at once, each named both ways with its escaped value and form; nothing written.
def log = new File(basedir, 'build.log').text
assert log.contains("Invalid parameters:")
assert log.contains("<hardening><maxStartups> (-Dkiln.hardening.maxStartups) is '10:200:5', expected sshd's MaxStartups")
assert log.contains("(the rate 200 is above 100)")
assert log.contains("<hardening><trustedCidrs> (-Dkiln.hardening.trustedCidrs) is '10.0.0.0/8,0.0.0.0/0', expected a comma-separated list")
assert log.contains("<hardening><maxAuthTrie> (-Dkiln.hardening.maxAuthTrie) is not a Kiln parameter")
assert log.contains("<runId> (-Dkiln.runId) is '\$(id)', expected lowercase letters, digits and -, at most 64")
assert !new File(basedir, 'target/kiln').exists()
return true
