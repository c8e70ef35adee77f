// The build fails with the parameter named both ways, the value and the expected form; nothing is written.
def log = new File(basedir, 'build.log').text
assert log.contains("Invalid parameter: <hardening><maxAuthTries> (-Dkiln.hardening.maxAuthTries) is 'many', expected a whole number from 1 to 6 (decimal digits)")
assert !new File(basedir, 'target/kiln').exists()
return true
