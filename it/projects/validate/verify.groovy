// Every recipe's bundle passes the real tools' checks, with the hostile cloud-init drop-in present.
def log = new File(basedir, 'build.log').text
['al2023', 'ubuntu-24.04', 'ubuntu-22.04', 'debian-12', 'rhel-9'].each { id ->
  assert log.contains("Validated ${id}")
}
return true
