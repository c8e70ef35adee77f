package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FileViewTest {
  private static final String KILN =
      "Port 22\nHostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin no\nMaxAuthTries 3\n"
          + "LogLevel VERBOSE\nKbdInteractiveAuthentication no\n";

  private static Map<String, String> files(String main, String other) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("sshd_config", main);
    f.put(FileView.KILN_DROP_IN, KILN);
    f.put("50-cloud-init.conf", other);
    return f;
  }

  private static final String ALIGNED_MAIN =
      "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nMaxAuthTries 3\nLogLevel VERBOSE\n"
          + "KbdInteractiveAuthentication no\nUsePAM yes\n";

  @Test
  void alignedFilesAndMatchingEffectiveValuesHaveNoDivergence() {
    Map<String, List<String>> eff =
        Map.of(
            "permitrootlogin", List.of("no"),
            "maxauthtries", List.of("3"),
            "loglevel", List.of("VERBOSE"),
            "port", List.of("22"));
    assertThat(
            FileView.divergences(
                files(ALIGNED_MAIN, "# kiln: aligned\nChallengeResponseAuthentication no\n"), eff))
        .isEmpty();
  }

  @Test
  void aMainFileThatDoesNotStateAKeywordDiverges() {
    assertThat(FileView.divergences(files("Include x\nUsePAM yes\n", ""), null))
        .contains("sshd_config does not state permitrootlogin; 00-kiln-hardening.conf says 'no'")
        .noneMatch(d -> d.contains("port") || d.contains("hostkey"));
  }

  @Test
  void anotherValueAnywhereDivergesAlsoInAMatchBlockAndByTheDeprecatedAlias() {
    assertThat(
            FileView.divergences(
                files(
                    ALIGNED_MAIN,
                    "Match User x\n  PermitRootLogin yes\nChallengeResponseAuthentication yes\n"),
                null))
        .containsExactly(
            "50-cloud-init.conf sets permitrootlogin 'yes', 00-kiln-hardening.conf says 'no'",
            "50-cloud-init.conf sets kbdinteractiveauthentication 'yes',"
                + " 00-kiln-hardening.conf says 'no'");
  }

  @Test
  void anAdditiveKeywordOutsideKilnsDropInDiverges() {
    assertThat(FileView.divergences(files(ALIGNED_MAIN + "Port 2222\n", "HostKey /k\n"), null))
        .containsExactly(
            "sshd_config sets port '2222' besides 00-kiln-hardening.conf",
            "50-cloud-init.conf sets hostkey '/k' besides 00-kiln-hardening.conf");
  }

  @Test
  void anEffectiveValueOtherThanTheFilesDiverges() {
    assertThat(FileView.divergences(files(ALIGNED_MAIN, ""), Map.of("maxauthtries", List.of("6"))))
        .containsExactly("sshd -T shows maxauthtries '6', the files say '3'");
  }
}
