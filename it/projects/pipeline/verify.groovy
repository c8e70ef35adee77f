// The whole pipeline in the sandbox for two recipes in one build: an AMI id each, a report with
// every control passed on both (a section and a JUnit suite each), nothing left running.
def log = new File(basedir, 'build.log').text
assert log =~ /(Baked|Reused) ami-[0-9a-f]+ for debian-12/
assert log =~ /(Baked|Reused) ami-[0-9a-f]+ for debian-13/
assert log.contains('Launching a candidate of each recipe: debian-12, debian-13')
assert log.contains('Hardening report: 30 passed, 0 failed, 0 skipped over 2 recipes')
// the break-glass account logged in by certificate while IAM was cut, and the live daemon's
// command line (Instance Connect's -o options, planted in every sandbox base) changed nothing
assert (log =~ /PASS +break-glass-login +with IAM unreachable, kiln-breakglass logged in/).size() == 2
assert (log =~ /PASS +sshd-live-view/).size() == 2
assert (log =~ /PASS +fail2ban-ban/).size() == 2
// Lynis' SSH audit of each candidate, beside the unhardened base's index
assert (log =~ /PASS +lynis-ssh +no SSH finding.*hardening index \d+ \(unhardened base: \d+\)/).size() == 2
assert new File(basedir, 'target/kiln/debian-12/rootfs/etc/ssh/kiln-breakglass/ca.pub').exists()
assert new File(basedir, 'target/kiln/debian-13/rootfs/etc/ssh/kiln-breakglass/ca.pub').exists()
def kiln = new File(basedir, 'target/kiln')
def bake = new groovy.json.JsonSlurper().parse(new File(kiln, 'bake.json'))
assert bake.amiId ==~ /ami-[0-9a-f]+/
assert bake.images*.recipe == ['debian-12', 'debian-13']
def html = new File(kiln, 'report/index.html').text
assert html.contains('<section id="recipe-debian-12">') && html.contains('<section id="recipe-debian-13">')
assert html.contains('href="docs/hardening.md#root-login-refused"')
['debian-12', 'debian-13'].each { r ->
  def junit = new File(kiln, "report/TEST-kiln-hardening-${r}.xml").text
  assert junit.contains("name=\"kiln-hardening.${r}\"")
  assert junit.contains('tests="15"') && junit.contains('failures="0"')
}
assert log.contains('Kiln terminate took')
// This build's candidates i-XXXXXXXX… lived in namespaces kilnc-XXXXXXXX-*: all gone.
def ids = (log =~ /Candidate (i-[0-9a-f]+) answers/).collect { it[1] }
assert ids.size() == 2
def ns = 'ip netns list'.execute().text
ids.each { id -> assert !ns.contains('kilnc-' + id.substring(2, 10)) : "namespaces left behind: ${ns}" }
return true
