// The whole pipeline in the sandbox: an AMI id, a report with every control passed, nothing left running.
def log = new File(basedir, 'build.log').text
assert log =~ /(Baked|Reusing) ami-[0-9a-f]+/
assert log.contains('Hardening report: 14 passed, 0 failed')
// the break-glass account logged in by certificate while IAM was cut, and the live daemon's
// command line (Instance Connect's -o options, planted in every sandbox base) changed nothing
assert log =~ /PASS +break-glass-login +with IAM unreachable, kiln-breakglass logged in/
assert log =~ /PASS +sshd-live-view/
assert new File(basedir, 'target/kiln/debian-12/rootfs/etc/ssh/kiln-breakglass/ca.pub').exists()
def kiln = new File(basedir, 'target/kiln')
def bake = new groovy.json.JsonSlurper().parse(new File(kiln, 'bake.json'))
assert bake.amiId ==~ /ami-[0-9a-f]+/
assert new File(kiln, 'report/index.html').text.contains('root-login-refused')
def junit = new File(kiln, 'report/TEST-kiln-hardening.xml').text
assert junit.contains('tests="14"') && junit.contains('failures="0"')
assert log.contains('Kiln terminate took')
// This build's candidate i-XXXXXXXX… lived in namespaces kilnc-XXXXXXXX-*: all gone.
def id = (log =~ /Candidate (i-[0-9a-f]+) answers/)[0][1]
def ns = 'ip netns list'.execute().text
assert !ns.contains('kilnc-' + id.substring(2, 10)) : "namespaces left behind: ${ns}"
return true
