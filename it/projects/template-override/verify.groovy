// The user's template replaced the built-in one by name; the other files are the built-ins.
def b = new File(basedir, 'target/kiln/debian-12')
def dropIn = new File(b, 'rootfs/etc/ssh/sshd_config.d/00-kiln-hardening.conf').text
assert dropIn == '# A team\'s own drop-in for debian-12\nPermitRootLogin no\nMaxAuthTries 3\n'
assert new File(b, 'rootfs/etc/fail2ban/jail.d/00-kiln.local').text.contains('[sshd]')
return true
