package dev.kiln.maven;

import dev.kiln.check.BundleChecker;
import dev.kiln.check.Validation;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Checks every rendered bundle with the local tools, before anything is baked: the effective sshd
 * configuration ({@code sshd -t}, {@code sshd -T}) against hardening.md's controls with hostile
 * drop-ins present, the fail2ban jails ({@code fail2ban-client -t}/{@code -d}), the moduli filter,
 * every script ({@code bash -n}, {@code shellcheck}, Python byte-compile) and the Packer template
 * ({@code packer validate}). Fails with every finding listed; a missing tool is a finding that says
 * how to install it.
 *
 * @since 0.1.0
 */
@Mojo(name = "validate", defaultPhase = LifecyclePhase.PROCESS_RESOURCES, threadSafe = true)
public class ValidateMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "validate";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    Validation.Outcome outcome = new Validation(new BundleChecker()).run(spec);
    outcome.notes().forEach(f -> getLog().warn(f.describe()));
    outcome.passed().forEach(id -> getLog().info("Validated " + id));
    Validation.requireClean(outcome);
  }
}
