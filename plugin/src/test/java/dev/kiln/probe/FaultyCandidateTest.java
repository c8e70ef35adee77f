package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launcher;
import dev.kiln.sandbox.CandidateCleanup;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each probe fails when the image is wrong: a fresh candidate of the good image per case, one fault
 * injected as root after the IAM test users exist (what a wrongly baked image would have), then
 * only the control(s) concerned are run and must FAIL. (The effective sshd configuration is shown
 * wrong by a really baked bad image in {@link SandboxPipelineTest}.)
 */
class FaultyCandidateTest {
  @TempDir static Path tmp;
  static Path out;
  static KilnSpec spec;
  static String ami;

  /** sshd is PID 1 of the candidate: SIGHUP makes it re-read its configuration. */
  static final String RELOAD = "; kill -HUP 1; sleep 0.5";

  static final String DROP_IN = "/etc/ssh/sshd_config.d/00-kiln-hardening.conf";

  static final String SLOT = "/etc/ssh/sshd_config.d/00-kiln-slot.conf";

  /**
   * The faults, or those whose name contains {@code -Dkiln.test.faults=TEXT} (each case boots a
   * candidate: to rerun one while working on its control).
   */
  static Stream<Arguments> faults() {
    String only = System.getProperty("kiln.test.faults", "");
    return allFaults().filter(a -> ((String) a.get()[0]).contains(only));
  }

  static Stream<Arguments> allFaults() {
    return Stream.of(
        Arguments.of(
            "root may log in with a password",
            List.of("root-login-refused"),
            "echo root:root | chpasswd; sed -i -e 's/^PermitRootLogin no/PermitRootLogin yes/'"
                + " -e 's/^PasswordAuthentication no/PasswordAuthentication yes/'"
                + " -e 's/^AuthenticationMethods publickey/AuthenticationMethods any/'"
                + " -e 's/^AllowGroups .*/& root/' "
                + DROP_IN
                + RELOAD),
        Arguments.of(
            "password authentication allowed",
            List.of("password-auth-refused"),
            "echo kiln-probe-user:kiln-probe-password | chpasswd;"
                + " sed -i -e 's/^PasswordAuthentication no/PasswordAuthentication yes/'"
                + " -e 's/^AuthenticationMethods publickey/AuthenticationMethods any/' "
                + DROP_IN
                + RELOAD),
        Arguments.of(
            "every managed user gets sudo",
            List.of("sudo-group-only"),
            "echo '%kiln-iam ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/zz-wrong; chmod 0440 /etc/sudoers.d/zz-wrong"),
        Arguments.of(
            "root has a password", List.of("root-password-locked"), "echo root:hunter2 | chpasswd"),
        Arguments.of(
            "the key command is broken",
            List.of("iam-key-login"),
            "chmod 0644 /usr/libexec/kiln/authorized-keys"),
        Arguments.of(
            "keys are cached for ten minutes",
            List.of("iam-key-inactive", "iam-key-deleted"),
            "python3 -c 'import json; p=\"/etc/kiln/access.json\"; c=json.load(open(p));"
                + " c[\"keyCacheTtl\"]=600; json.dump(c, open(p, \"w\"))'"),
        Arguments.of(
            "every IAM user is authorized (no group)",
            List.of("iam-group-removal"),
            "python3 -c 'import json; p=\"/etc/kiln/access.json\"; c=json.load(open(p));"
                + " c[\"iamGroups\"]=[]; json.dump(c, open(p, \"w\"))'"),
        Arguments.of("fail2ban is not running", List.of("fail2ban-ban"), "fail2ban-client stop"),
        // The CA in the slot's Match all: every account trusts it. The block still says
        // AuthorizedPrincipalsFile none, which sshd reads inside a Match block as the file ~/none,
        // so certificate logins are refused there; break-glass-login sees the CA in sshd -T.
        Arguments.of(
            "the break-glass CA is trusted for every account",
            List.of("break-glass-login"),
            "sed -i -e 's#^    TrustedUserCAKeys none#    TrustedUserCAKeys /etc/ssh/kiln-breakglass/ca.pub#' "
                + SLOT
                + RELOAD),
        // The same without a principals file: a certificate naming an account logs in as it.
        Arguments.of(
            "the break-glass CA is trusted for every account, no principals file",
            List.of("break-glass-login"),
            "sed -i -e 's#^    TrustedUserCAKeys none#    TrustedUserCAKeys /etc/ssh/kiln-breakglass/ca.pub#'"
                + " -e '/^    AuthorizedPrincipalsFile none/d' "
                + SLOT
                + RELOAD),
        Arguments.of(
            "sshd does not log certificate logins",
            List.of("break-glass-login"),
            "sed -i -e 's/^LogLevel VERBOSE/LogLevel ERROR/' " + DROP_IN + RELOAD),
        Arguments.of(
            "a unit drop-in passes -o PermitRootLogin yes (the next restart's command line)",
            List.of("sshd-live-view"),
            "mkdir -p /etc/systemd/system/ssh.service.d; printf '[Service]\\nExecStart=\\n"
                + "ExecStart=/usr/sbin/sshd -D -o \"PermitRootLogin yes\"\\n'"
                + " > /etc/systemd/system/ssh.service.d/zz-hostile.conf"),
        Arguments.of(
            "the Match all block is missing: Instance Connect's -o options hold the slot",
            List.of("sshd-live-view", "iam-key-login"),
            "rm " + SLOT + RELOAD),
        Arguments.of(
            "a CBC cipher is enabled",
            List.of("ssh-audit"),
            "sed -i -e 's/^Ciphers .*/&,aes128-cbc/' " + DROP_IN + RELOAD));
  }

  @BeforeAll
  static void bake() throws Exception {
    SandboxPipelineTest.assumeSandbox();
    out = tmp.resolve("target/kiln");
    spec = KilnSpec.parse(SandboxPipelineTest.config(out, null), tmp);
    ami = SandboxPipelineTest.bake(spec);
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (out != null) {
      Launcher.terminate(out, s -> {});
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("faults")
  void probeFailsOnAWrongImage(String fault, List<String> controls, String shell) throws Exception {
    new Launcher()
        .launch(LaunchRequest.sandbox(out, ami, SandboxSettings.defaultCacheDir()), s -> {});
    CandidateState state = SandboxPipelineTest.stateOf(out);
    try {
      ProbeSettings settings =
          Verifier.settings(spec, out, "debian-12", SandboxPipelineTest.breakGlassCa())
              .withBanTimeout(Duration.ofSeconds(15));
      List<Control> result;
      try (SandboxTarget t = new SandboxTarget(state, SandboxSettings.defaultCacheDir())) {
        result =
            new Prober(t, settings, System.out::println)
                .run(
                    Set.copyOf(controls),
                    target -> {
                      String[] r = target.rootExec(shell).orElseThrow();
                      System.out.println(
                          "fault '" + fault + "': exit " + r[0] + " " + r[1].strip());
                    });
      }
      assertThat(result).extracting(Control::id).containsExactlyInAnyOrderElementsOf(controls);
      assertThat(result)
          .allSatisfy(
              c ->
                  assertThat(c.outcome())
                      .as(c.id() + ": " + c.observed())
                      .isEqualTo(Control.Outcome.FAIL));
    } finally {
      Launcher.terminate(out, s -> {});
    }
    assertThat(CandidateCleanup.leftovers(state)).isEmpty();
  }
}
