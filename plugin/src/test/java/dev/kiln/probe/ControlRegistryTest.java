package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ControlRegistryTest {
  @Test
  void idsAreUniqueAndBreakGlassRunsLastAlone() {
    List<String> ids = ControlRegistry.ids();
    assertThat(ids).doesNotHaveDuplicates();
    assertThat(ids.get(ids.size() - 1)).isEqualTo(BreakGlassProbe.ID);
    // Its IAM outage must not overlap another control.
    assertThat(ControlRegistry.STAGES.get(ControlRegistry.STAGES.size() - 1))
        .extracting(ControlRegistry.Entry::id)
        .containsExactly(BreakGlassProbe.ID);
  }

  @Test
  void lynisRunsBesideTheStagesNotInOne() {
    assertThat(ControlRegistry.BESIDE)
        .extracting(ControlRegistry.Entry::id)
        .contains(LynisProbe.ID);
    assertThat(ControlRegistry.STAGES.stream().flatMap(List::stream))
        .extracting(ControlRegistry.Entry::id)
        .doesNotContainAnyElementsOf(
            ControlRegistry.BESIDE.stream().map(ControlRegistry.Entry::id).toList());
  }

  @Test
  void reportOrderIsTheOneBeforeTheSplit() {
    assertThat(ControlRegistry.ids())
        .containsExactly(
            "iam-key-login",
            "sudo-group-only",
            "sshd-effective-config",
            "sshd-live-view",
            "root-password-locked",
            "host-keys-unique",
            "root-login-refused",
            "password-auth-refused",
            "iam-key-inactive",
            "iam-key-deleted",
            "iam-group-removal",
            "fail2ban-ban",
            "ssh-audit",
            "lynis-ssh",
            "break-glass-login");
  }
}
