// -D wins over the POM for top-level and nested parameters; the nested forms are all accepted.
def out = new File(basedir, 'target/kiln')
assert new File(out, 'debian-12/manifest.json').isFile()
assert !new File(out, 'al2023').exists()
assert !new File(basedir, 'target/pom-out').exists()
def sshd = new File(out, 'debian-12/rootfs/etc/ssh/sshd_config.d/00-kiln-hardening.conf').text
assert sshd.contains('MaxAuthTries 4')
def jail = new File(out, 'debian-12/rootfs/etc/fail2ban/jail.d/00-kiln.local').text
assert jail.contains('198.18.0.0/24 2001:db8::/32')
return true
