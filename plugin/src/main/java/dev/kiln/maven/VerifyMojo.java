package dev.kiln.maven;

import dev.kiln.probe.Verifier;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.Props;
import java.nio.file.Path;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

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

  /**
   * Skips this goal.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.VERIFY_SKIP, defaultValue = "false")
  boolean skipVerify;

  /**
   * AWS only: {@code <iamUser>} and {@code <keyFile>}, an existing IAM user (in an authorized
   * group, ideally with sudo) to probe as; see {@link VerifyParams}. The sandbox creates its own
   * test users.
   *
   * @since 0.1.0
   */
  @Parameter VerifyParams verify;

  @Override
  protected String goal() {
    return "verify";
  }

  @Override
  protected boolean skipGoal() {
    return skipVerify;
  }

  @Override
  protected void run() throws KilnException {
    Path base = project.getBasedir().toPath();
    KilnSpec spec = KilnSpec.parse(rawParameters(), base);
    String user = property(Props.VERIFY_IAM_USER, verify == null ? null : verify.iamUser);
    String key = property(Props.VERIFY_KEY_FILE, verify == null ? null : verify.keyFile);
    Verifier.verify(
        spec.outputDir(), spec, user, key == null ? null : base.resolve(key), getLog()::info);
  }
}
