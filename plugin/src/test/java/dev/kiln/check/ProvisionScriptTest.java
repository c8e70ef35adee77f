package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.sandbox.BaseRootfs;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the rendered provision.sh for real (KILN_OFFLINE=1, in a chroot) on a copy of the sandbox's
 * cached Debian 12 root filesystem into which a hostile cloud-init drop-in and sshd_config line
 * were planted. Builds the sandbox base when it is not cached yet; skipped only when the test is
 * not root.
 */
class ProvisionScriptTest {
  @TempDir Path dir;

  /** The sandbox's Debian 12 base (built once with debootstrap and cached, as the bake does). */
  private static Path base() throws Exception {
    return new BaseRootfs(
            SandboxSettings.defaultCacheDir(), "debian-12", "bookworm", "admin", List.of())
        .ensure(System.out::println);
  }

  @Test
  void neutralisesOtherDropInsLocksRootTrimsModuliAndLeavesNoHostKeys() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "chroot needs root");
    Path base = base();

    KilnSpec spec = Bundles.render(dir.resolve("render"), Map.of("recipes", "debian-12"));
    Path root = dir.resolve("root");
    assertThat(Proc.run(List.of("cp", "-a", base.toString(), root.toString()), 120).exit())
        .isZero();
    assertThat(
            Proc.run(
                    List.of(
                        "cp",
                        "-a",
                        spec.outputDir().resolve("debian-12").toString(),
                        root.resolve("bundle").toString()),
                    60)
                .exit())
        .isZero();
    Path dropIns = Files.createDirectories(root.resolve("etc/ssh/sshd_config.d"));
    Files.writeString(
        dropIns.resolve("50-cloud-init.conf"),
        "PasswordAuthentication yes\nHostKey /etc/ssh/ssh_host_ecdsa_key\nAllowGroups users\n");
    Path sshdConfig = root.resolve("etc/ssh/sshd_config");
    Files.writeString(sshdConfig, "PermitRootLogin yes\n" + Files.readString(sshdConfig));
    Files.writeString(
        root.resolve("etc/ssh/moduli"),
        Files.readString(root.resolve("etc/ssh/moduli")) + "20240101000000 2 6 100 2047 2 FF\n");
    Files.writeString(root.resolve("etc/ssh/ssh_host_ed25519_key"), "baked\n");

    Proc.Result r =
        Proc.run(
            List.of(
                "chroot",
                root.toString(),
                "/usr/bin/env",
                "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "KILN_OFFLINE=1",
                "bash",
                "/bundle/packer/provision.sh",
                "/bundle"),
            null,
            Map.of(),
            300);
    assertThat(r.exit()).as(r.output()).isZero();

    List<String> config = Files.readAllLines(sshdConfig);
    assertThat(config.get(0)).isEqualTo("Include /etc/ssh/sshd_config.d/*.conf");
    assertThat(config).noneMatch(l -> l.startsWith("PermitRootLogin"));
    assertThat(Files.readAllLines(dropIns.resolve("50-cloud-init.conf")))
        .allMatch(l -> l.startsWith("# kiln: neutralised"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sshdConfig)))
        .isEqualTo("rw-------");
    assertThat(Files.readAllLines(root.resolve("etc/ssh/moduli")))
        .filteredOn(l -> !l.startsWith("#"))
        .isNotEmpty()
        .allMatch(l -> Integer.parseInt(l.split("\\s+")[4]) >= 3071);
    String rootShadow =
        Files.readAllLines(root.resolve("etc/shadow")).stream()
            .filter(l -> l.startsWith("root:"))
            .findFirst()
            .orElseThrow();
    String field = rootShadow.split(":")[1];
    assertThat(field.equals("*") || field.startsWith("!")).as(field).isTrue();
    assertThat(Files.readString(root.resolve("etc/passwd"))).contains("\nkiln-keys:");
    assertThat(Files.readString(root.resolve("etc/group"))).contains("\nkiln-iam:");
    assertThat(root.resolve("usr/libexec/kiln/lock-root")).isExecutable();
    assertThat(root.resolve("var/cache/kiln/keys")).isDirectory();
    try (Stream<Path> s = Files.list(root.resolve("etc/ssh"))) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("ssh_host_"));
    }
  }
}
