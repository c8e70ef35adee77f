// A break-glass CA of this run, made the way the README says (ssh-keygen); never committed.
def dir = new File(basedir, 'break-glass-ca')
dir.mkdirs()
def key = new File(dir, 'ca')
if (!key.exists()) {
  def p = ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'kiln-it-ca', '-f', key.path].execute()
  p.waitFor()
  assert p.exitValue() == 0 : p.err.text
}
return true
