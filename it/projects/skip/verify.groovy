// kiln.skip skips every goal: nothing is written.
assert !new File(basedir, 'target/kiln').exists()
assert new File(basedir, 'build.log').text.contains('Skipping Kiln render')
return true
