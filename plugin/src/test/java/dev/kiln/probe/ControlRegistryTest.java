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
    assertThat(
            ControlRegistry.STAGES.get(ControlRegistry.STAGES.size() - 1).stream()
                .flatMap(List::stream))
        .extracting(ControlRegistry.Entry::id)
        .containsExactly(BreakGlassProbe.ID);
  }

  @Test
  void lynisRunsBesideTheStagesNotInOne() {
    assertThat(ControlRegistry.BESIDE)
        .extracting(ControlRegistry.Entry::id)
        .contains(LynisProbe.ID);
    assertThat(ControlRegistry.STAGES.stream().flatMap(List::stream).flatMap(List::stream))
        .extracting(ControlRegistry.Entry::id)
        .doesNotContainAnyElementsOf(
            ControlRegistry.BESIDE.stream().map(ControlRegistry.Entry::id).toList());
  }

  @Test
  void theKeyRevocationsWaitBesideEveryControlThatLeavesTheirUsersAlone() {
    List<List<ControlRegistry.Entry>> stage =
        ControlRegistry.STAGES.stream()
            .filter(
                s ->
                    s.stream()
                        .flatMap(List::stream)
                        .anyMatch(e -> e == IamAccessProbe.KEY_INACTIVE))
            .findFirst()
            .orElseThrow();
    // Each revocation alone in its lane (its wait is the TTL), beside the lane of the others.
    assertThat(stage)
        .contains(List.of(IamAccessProbe.KEY_INACTIVE), List.of(IamAccessProbe.KEY_DELETED));
    // ssh-audit's connections come from the user source, which fail2ban may ban: never beside
    // logins.
    assertThat(stage.stream().flatMap(List::stream)).doesNotContain(SshAuditProbe.AUDIT);
    assertThat(ControlRegistry.STAGES).contains(List.of(List.of(SshAuditProbe.AUDIT)));
    // The host key comparison needs the key the first login recorded.
    assertThat(ControlRegistry.STAGES.get(0)).isEqualTo(List.of(List.of(IamAccessProbe.KEY_LOGIN)));
  }

  @Test
  void reportOrderIsTheRunOrder() {
    assertThat(ControlRegistry.ids())
        .containsExactly(
            "iam-key-login",
            "sudo-group-only",
            "sshd-effective-config",
            "sshd-live-view",
            "root-password-locked",
            "root-login-refused",
            "password-auth-refused",
            "iam-group-removal",
            "host-keys-unique",
            "fail2ban-ban",
            "iam-key-inactive",
            "iam-key-deleted",
            "ssh-audit",
            "lynis-ssh",
            "break-glass-login");
  }
}
