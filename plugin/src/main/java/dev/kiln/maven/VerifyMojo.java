package dev.kiln.maven;

import dev.kiln.probe.Verifier;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Attacks the candidate that kiln:launch started, one probe per hardening control (root login,
 * passwords, IAM key lifecycle, sudo, effective sshd configuration, host keys, fail2ban, shadow,
 * ssh-audit), and writes {@code target/kiln/report/} (JUnit XML {@code TEST-kiln-hardening.xml} and
 * a self-contained {@code index.html}). Fails the build naming every failed control.
 *
 * @since 0.1.0
 */
@Mojo(name = "verify", defaultPhase = LifecyclePhase.INTEGRATION_TEST, threadSafe = true)
public class VerifyMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "verify";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    Verifier.verify(
        spec.outputDir(),
        spec,
        v.string("verify.iamUser"),
        v.path("verify.keyFile"),
        v.path("verify.breakGlassCaKey"),
        v.get("verify.lynisMinIndex") == null ? null : v.integer("verify.lynisMinIndex"),
        getLog()::info);
  }
}
