package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.exec.Procs;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sshd-align.sh removes CA and principals lines from every drop-in but Kiln's own. Attack: a base
 * image ships a drop-in sorting before Kiln's slot block ({@code 00-aaa.conf}) whose {@code Match
 * all} trusts its own CA; left in place, sshd would take that first Match block's value for every
 * account, IAM users included.
 */
class SshdAlignSlotTest {
  @TempDir Path tmp;

  @Test
  void aHostileMatchAllTrustingACaIsRemovedAndKilnsBreakGlassBlockIsKept() throws Exception {
    Path script = tmp.resolve("sshd-align.sh");
    try (InputStream in =
        getClass().getClassLoader().getResourceAsStream("kiln/templates/packer/sshd-align.sh")) {
      assertThat(in).as("sshd-align.sh on the class path").isNotNull();
      Files.copy(in, script);
    }
    Path dir = Files.createDirectories(tmp.resolve("sshd_config.d"));
    Path kiln = dir.resolve("00-kiln-hardening.conf");
    Files.writeString(kiln, "PermitRootLogin no\nAuthorizedKeysFile none\n");
    String breakGlass =
        "Match User kiln-breakglass\n"
            + "    TrustedUserCAKeys /etc/ssh/kiln-breakglass/ca.pub\n"
            + "    AuthorizedPrincipalsFile /etc/ssh/kiln-breakglass/principals\n";
    Files.writeString(dir.resolve("00-kiln-breakglass.conf"), breakGlass);
    Path hostile = dir.resolve("00-aaa.conf");
    Files.writeString(
        hostile,
        "TrustedUserCAKeys /etc/ssh/evil-ca.pub\n"
            + "Match all\n"
            + "    TrustedUserCAKeys /etc/ssh/evil-ca.pub\n"
            + "    AuthorizedPrincipalsCommand /bin/echo %u\n"
            + "    AuthorizedPrincipalsCommandUser root\n"
            + "    authorizedprincipalsfile=/etc/ssh/evil-principals\n");
    Path main = tmp.resolve("sshd_config");
    Files.writeString(main, "Match all\n    TrustedUserCAKeys /etc/ssh/evil-ca.pub\n");

    Procs.Captured r =
        Procs.capture(
            List.of("bash", script.toString(), kiln.toString(), main.toString(), dir.toString()),
            tmp,
            Map.of("KILN_OWN_DROPINS", "00-kiln-breakglass.conf"),
            Duration.ofSeconds(60));

    assertThat(r.ok()).as(r.output()).isTrue();
    for (Path f : List.of(hostile, main)) {
      assertThat(Files.readAllLines(f))
          .as(f.getFileName().toString())
          .noneMatch(l -> l.matches("(?i)\\s*(trustedusercakeys|authorizedprincipals\\w*).*"));
    }
    assertThat(Files.readString(hostile))
        .doesNotContain("evil")
        .contains("# kiln: removed a trustedusercakeys line");
    assertThat(Files.readString(dir.resolve("00-kiln-breakglass.conf"))).isEqualTo(breakGlass);
  }
}
