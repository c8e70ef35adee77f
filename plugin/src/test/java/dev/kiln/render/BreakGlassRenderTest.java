package dev.kiln.render;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.spec.KilnSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code <access><breakGlass>} puts in a bundle, and that nothing of it exists without. */
class BreakGlassRenderTest {
  @TempDir Path base;

  private Path render(Map<String, String> extra) throws Exception {
    Map<String, String> raw = new HashMap<>(Map.of("recipes", "debian-12"));
    raw.putAll(extra);
    KilnSpec spec = KilnSpec.parse(raw, base);
    new Renderer(spec.templatesDir()).renderAll(spec, "1.2.3");
    return base.resolve("target/kiln/debian-12");
  }

  private String caPub() throws Exception {
    Process p =
        new ProcessBuilder(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "x",
                "-f",
                base.resolve("ca").toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    return "ca.pub";
  }

  private static List<String> files(Path bundle) throws Exception {
    try (Stream<Path> s = Files.walk(bundle)) {
      return s.filter(Files::isRegularFile).map(p -> bundle.relativize(p).toString()).toList();
    }
  }

  @Test
  void withoutTheParameterNothingOfBreakGlassIsRendered() throws Exception {
    Path b = render(Map.of());
    assertThat(files(b)).noneMatch(f -> f.contains("breakglass"));
    for (String f : files(b)) {
      assertThat(Files.readString(b.resolve(f), StandardCharsets.UTF_8))
          .as(f)
          .doesNotContain("kiln-breakglass", "breakglass_user", "TrustedUserCAKeys /");
    }
    // the slot block is rendered for every image, and trusts no CA
    assertThat(Files.readString(b.resolve("rootfs/etc/ssh/sshd_config.d/00-kiln-slot.conf")))
        .contains("Match all", "TrustedUserCAKeys none");
  }

  @Test
  void withACaTheAccountItsCaPrincipalsAndSudoAreRendered() throws Exception {
    Path b = render(Map.of("access.breakGlass.caPublicKey", caPub()));
    Path conf = b.resolve("rootfs/etc/ssh/sshd_config.d/00-kiln-breakglass.conf");
    assertThat(Files.readString(conf))
        .contains(
            "Match User kiln-breakglass",
            "TrustedUserCAKeys /etc/ssh/kiln-breakglass/ca.pub",
            "AuthorizedPrincipalsFile /etc/ssh/kiln-breakglass/principals",
            "AuthorizedKeysFile none",
            "AuthorizedKeysCommand none");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(conf)))
        .isEqualTo("rw-------");
    String[] key = Files.readString(base.resolve("ca.pub")).split(" ");
    assertThat(Files.readString(b.resolve("rootfs/etc/ssh/kiln-breakglass/ca.pub")))
        .isEqualTo(key[0] + " " + key[1] + " kiln-breakglass-ca\n");
    assertThat(Files.readString(b.resolve("rootfs/etc/ssh/kiln-breakglass/principals")))
        .isEqualTo("kiln-breakglass\n");
    Path sudoers = b.resolve("rootfs/etc/sudoers.d/kiln-breakglass");
    assertThat(Files.readString(sudoers)).contains("kiln-breakglass ALL=(ALL:ALL) NOPASSWD: ALL");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sudoers)))
        .isEqualTo("r--r-----");
    String provision = Files.readString(b.resolve("packer/provision.sh"));
    assertThat(provision)
        .contains("breakglass_user='kiln-breakglass'", "visudo -cf /etc/sudoers.d/kiln-breakglass")
        .contains("place 'rootfs/etc/ssh/kiln-breakglass/ca.pub' '0644' 'root' 'root'");
  }

  @Test
  void sudoOffRendersNoSudoersFileAndTheNameFollowsTheParameter() throws Exception {
    Path b =
        render(
            Map.of(
                "access.breakGlass.caPublicKey", caPub(),
                "access.breakGlass.user", "oncall",
                "access.breakGlass.sudo", "false"));
    assertThat(b.resolve("rootfs/etc/sudoers.d/kiln-breakglass")).doesNotExist();
    assertThat(Files.readString(b.resolve("packer/provision.sh")))
        .doesNotContain("sudoers.d/kiln-breakglass");
    assertThat(Files.readString(b.resolve("rootfs/etc/ssh/sshd_config.d/00-kiln-breakglass.conf")))
        .contains("Match User oncall", "AllowGroups oncall");
  }

  @Test
  void chainModePutsTheRecipesInstanceConnectHelperInAccessJsonAndOffPutsNothing()
      throws Exception {
    Map<String, String> raw =
        new HashMap<>(Map.of("recipes", "al2023,ubuntu-24.04", "access.instanceConnect", "chain"));
    KilnSpec spec = KilnSpec.parse(raw, base);
    new Renderer(spec.templatesDir()).renderAll(spec, "1.2.3");
    assertThat(Files.readString(base.resolve("target/kiln/al2023/rootfs/etc/kiln/access.json")))
        .contains(
            "\"instanceConnect\": {\n    \"helper\": \"/opt/aws/bin/eic_run_authorized_keys\",\n"
                + "    \"mode\": \"chain\"\n  }");
    assertThat(
            Files.readString(base.resolve("target/kiln/ubuntu-24.04/rootfs/etc/kiln/access.json")))
        .contains("/usr/share/ec2-instance-connect/eic_run_authorized_keys");
    assertThat(Files.readString(render(Map.of()).resolve("rootfs/etc/kiln/access.json")))
        .doesNotContain("instanceConnect");
  }
}
