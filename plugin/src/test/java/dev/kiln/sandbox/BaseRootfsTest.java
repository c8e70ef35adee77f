package dev.kiln.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BaseRootfsTest {
  @Test
  void digestCoversPackagesAndUser() {
    Path c = Path.of("/nonexistent");
    BaseRootfs a = new BaseRootfs(c, "debian-12", "bookworm", "admin", List.of());
    BaseRootfs b = new BaseRootfs(c, "debian-12", "bookworm", "admin", List.of("jq"));
    BaseRootfs d = new BaseRootfs(c, "debian-12", "bookworm", "debian", List.of());
    BaseRootfs same = new BaseRootfs(c, "debian-12", "bookworm", "admin", List.of("sudo"));
    assertThat(a.digest()).isNotEqualTo(b.digest()).isNotEqualTo(d.digest());
    assertThat(same.digest()).isEqualTo(a.digest());
    assertThat(a.dir().getParent()).isEqualTo(c.resolve("base"));
  }

  /** Builds (or finds) the real cached base: root only, as CI runs. */
  @Test
  void buildsTheDebianBaseOnce() throws Exception {
    assumeTrue(Procs.isRoot(), "the sandbox needs root");
    BaseRootfs base =
        new BaseRootfs(
            SandboxSettings.defaultCacheDir(), "debian-12", "bookworm", "admin", List.of());
    Path dir = base.ensure(System.out::println);
    assertThat(dir.resolve("usr/sbin/sshd")).exists();
    assertThat(dir.resolve("usr/bin/fail2ban-client")).exists();
    assertThat(dir.resolve("etc/services")).exists();
    assertThat(Files.readString(dir.resolve("etc/hosts"))).contains("127.0.0.1 localhost");
    assertThat(Files.readString(dir.resolve("etc/sudoers.d/90-cloud-init-users")))
        .contains("admin ALL=(ALL) NOPASSWD:ALL");
    assertThat(dir.resolve("home/admin")).isDirectory();
    try (var s = Files.list(dir.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
    }
  }
}
