package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.exec.Procs;
import dev.kiln.sandbox.BaseRootfs;
import dev.kiln.sandbox.BaseRootfsTest;
import dev.kiln.spec.KilnSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the rendered provision.sh for real (online, in a chroot) on a copy of the sandbox's cached
 * Debian 12 root filesystem into which a hostile cloud-init drop-in and sshd_config line were
 * planted; apt's only source is a copy of the base's package repository. Builds the sandbox base
 * when it is not cached yet; skipped only when the test is not root.
 */
class ProvisionScriptTest {
  @TempDir Path dir;

  @Test
  void neutralisesOtherDropInsLocksRootTrimsModuliAndLeavesNoHostKeys() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "chroot needs root");
    KilnSpec spec = Bundles.render(dir.resolve("render"), Map.of("recipes", "debian-12"));
    BaseRootfs baseRootfs = BaseRootfsTest.forRecipe("debian-12");
    Path base = baseRootfs.ensure(System.out::println);
    Path root = dir.resolve("root");
    assertThat(Procs.capture(List.of("cp", "-a", base.toString(), root.toString()), 120).exitCode())
        .isZero();
    // apt's only source: a copy of the base's repository, as the sandbox builder mounts it
    Path repo = root.resolve(BaseRootfs.REPO_MOUNT.substring(1));
    Files.createDirectories(repo.getParent());
    assertThat(
            Procs.capture(List.of("cp", "-a", baseRootfs.repo().toString(), repo.toString()), 120)
                .exitCode())
        .isZero();
    Files.writeString(root.resolve("etc/apt/sources.list"), BaseRootfs.repoSourcesList());
    Files.createDirectories(root.resolve("var/lib/apt/lists/partial"));
    assertThat(
            Procs.capture(
                    List.of(
                        "cp",
                        "-a",
                        spec.outputDir().resolve("debian-12").toString(),
                        root.resolve("bundle").toString()),
                    60)
                .exitCode())
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

    Procs.Captured r =
        Procs.capture(
            List.of(
                "chroot",
                root.toString(),
                "/usr/bin/env",
                "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "bash",
                "/bundle/packer/provision.sh",
                "/bundle"),
            null,
            Map.of(),
            Duration.ofSeconds(300));
    assertThat(r.exitCode()).as(r.output()).isZero();

    // the online path ran: the upgrade of openssh-server and the installs from the repository
    assertThat(r.output()).contains("Unpacking openssh-server").contains("Unpacking fail2ban");
    List<String> config = Files.readAllLines(sshdConfig);
    assertThat(config.get(0)).isEqualTo("Include /etc/ssh/sshd_config.d/*.conf");
    // scanner-proof: the main file states Kiln's values, other drop-ins agree or lose the line
    assertThat(config)
        .filteredOn(l -> l.startsWith("PermitRootLogin"))
        .containsExactly("PermitRootLogin no");
    assertThat(config).contains("MaxAuthTries 3", "X11Forwarding no");
    assertThat(Files.readAllLines(dropIns.resolve("50-cloud-init.conf")))
        .contains("PasswordAuthentication no")
        .noneMatch(l -> l.startsWith("HostKey") || l.startsWith("AllowGroups"))
        .noneMatch(l -> l.contains("yes"));
    Map<String, String> view = new java.util.LinkedHashMap<>();
    view.put("sshd_config", Files.readString(sshdConfig));
    try (Stream<Path> s = Files.list(dropIns)) {
      for (Path p : s.sorted().toList()) {
        view.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    assertThat(FileView.divergences(view, null)).isEmpty();
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
