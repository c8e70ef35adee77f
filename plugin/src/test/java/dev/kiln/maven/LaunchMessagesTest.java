package dev.kiln.maven;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.aws.CandidateEc2;
import dev.kiln.spec.KilnException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a user reads when the launch configuration is wrong. */
class LaunchMessagesTest {
  @Test
  void noTrustedCidrsNamesTheElementAndTheProperty() {
    try {
      CandidateEc2.checkCidrs(List.of(), false);
    } catch (KilnException e) {
      assertThat(AbstractKilnMojo.describe(e))
          .startsWith(
              "<hardening><trustedCidrs> (-Dkiln.hardening.trustedCidrs): no trusted CIDRs");
      return;
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void worldNamesAllowWorld() {
    try {
      CandidateEc2.checkCidrs(List.of("0.0.0.0/0"), false);
    } catch (KilnException e) {
      assertThat(AbstractKilnMojo.describe(e))
          .contains("<hardening><trustedCidrs>")
          .contains("<launch><allowWorld>true</allowWorld> (-Dkiln.launch.allowWorld=true)");
      return;
    }
    throw new AssertionError("expected a failure");
  }
}
