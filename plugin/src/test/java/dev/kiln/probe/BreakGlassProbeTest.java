package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BreakGlassProbeTest {
  @Test
  void readsTheTrustedCaOfSshdT() {
    assertThat(BreakGlassProbe.trustedUserCaKeys("port 22\ntrustedusercakeys none\nusepam yes\n"))
        .isEqualTo("none");
    assertThat(
            BreakGlassProbe.trustedUserCaKeys(
                "trustedusercakeys /etc/ssh/kiln-breakglass/ca.pub\n"))
        .isEqualTo("/etc/ssh/kiln-breakglass/ca.pub");
    // Not printed is not "none": the control must not take a missing line for no CA.
    assertThat(BreakGlassProbe.trustedUserCaKeys("port 22\n")).isEqualTo("(not printed)");
  }
}
