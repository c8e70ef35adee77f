// Every built-in recipe rendered, each with its rootfs, Packer template and manifest.
def kiln = new File(basedir, 'target/kiln')
['al2023', 'ubuntu-24.04', 'ubuntu-22.04', 'debian-12', 'rhel-9'].each { id ->
  def b = new File(kiln, id)
  assert new File(b, 'rootfs/etc/ssh/sshd_config.d/00-kiln-hardening.conf').isFile()
  assert new File(b, 'rootfs/usr/libexec/kiln/authorized-keys').canExecute()
  assert new File(b, 'packer/kiln.pkr.hcl').isFile()
  def manifest = new groovy.json.JsonSlurper().parse(new File(b, 'manifest.json'))
  assert manifest.recipe == id
  assert manifest.bundleDigest ==~ /sha256:[0-9a-f]{64}/
  assert manifest.files.find { it.path == 'rootfs/etc/ssh/sshd_config.d/00-kiln-hardening.conf' }.mode == '0600'
  def access = new groovy.json.JsonSlurper().parse(new File(b, 'rootfs/etc/kiln/access.json'))
  assert access.iamGroups == ['ssh-admins']
}
def log = new File(basedir, 'build.log').text
assert log.contains('Rendered debian-12')
return true
