// Publish, rollout and group removal in the sandbox, as a user runs them one after another: the
// verified image became a new (or the newest) version of its parameter with the label latest and a
// launch template version with that image id; the group ran 2 instances of it; nothing is left.
def log = new File(basedir, 'build.log').text
def slurp = new groovy.json.JsonSlurper()
def kiln = new File(basedir, 'target/kiln')
def bake = slurp.parse(new File(kiln, 'bake.json'))
def ami = bake.amiId
assert ami ==~ /ami-[0-9a-f]+/
// without <breakGlass>, break-glass-login is skipped; every other control passed
assert log.contains('Hardening report: 14 passed, 0 failed, 1 skipped')
assert log =~ /SKIPPED +break-glass-login +.*no break-glass account/

// kiln:publish: the parameter's versions persist in the user's cache across runs, so any version ≥ 1
def parameter = '/kiln/dev.kiln.it/release/debian-12'
def published = slurp.parse(new File(kiln, 'publish.json')).published
assert published.size() == 1
def p = published[0]
assert p.recipe == 'debian-12' && p.amiId == ami && p.parameter == parameter && p.label == 'latest'
assert p.version instanceof Number && p.version >= 1
assert p.launchTemplateName == 'kiln-it-release'
assert p.launchTemplateId ==~ /lt-[0-9a-f]{17}/
assert p.launchTemplateVersion instanceof Number && p.launchTemplateVersion >= 1
assert log.contains("Publishing ${ami} (debian-12), verified by")
assert log.contains("${parameter}:${p.version} labelled latest")
assert log.contains("launch template kiln-it-release (${p.launchTemplateId}) version ${p.launchTemplateVersion} with ImageId ${ami}")
// the ready-to-paste snippets
assert log.contains("resolve:ssm:${parameter}:latest")
assert log.contains("Pinned to this release: resolve:ssm:${parameter}:${p.version}")
assert log.contains('Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>')
assert log.contains("Default: ${parameter}")

// kiln:rollout: a group of 2 sandbox instances, all on the published image
def rollout = slurp.parse(new File(kiln, 'rollout.json'))
assert rollout.group == 'kiln-it-release' && rollout.outcome == 'Successful' && rollout.image == ami
assert rollout.members.size() == 2
assert rollout.members.every { it.amiId == ami && it.instanceId ==~ /i-[0-9a-f]{8,}/ }
assert log.contains("Group kiln-it-release runs ${ami} on 2 instance(s)")

// kiln:terminate -Dkiln.rollout.group: the members, their namespaces kilnc-XXXXXXXX-* and the record gone
def ids = rollout.members*.instanceId
ids.each { id -> assert log.contains("removed ${id} (${ami})") }
assert log =~ /Removed sandbox group kiln-it-release \(\d+ resources\)/
def cache = System.getenv('XDG_CACHE_HOME') ?: (System.getProperty('user.home') + '/.cache')
def record = new File(cache, 'kiln/groups/kiln-it-release.json')
assert !record.exists() : "group record left behind: ${record}"
def ns = 'ip netns list'.execute().text
ids.each { id -> assert !ns.contains('kilnc-' + id.substring(2, 10)) : "namespaces left behind: ${ns}" }
return true
