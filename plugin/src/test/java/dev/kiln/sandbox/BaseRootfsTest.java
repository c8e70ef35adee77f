package dev.kiln.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.exec.Procs;
import dev.kiln.spec.Recipe;
import dev.kiln.spec.RecipeCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

public class BaseRootfsTest {
  /** The sandbox base of a built-in recipe, exactly as the bake makes it (shared cache). */
  @SuppressWarnings("unchecked")
  public static BaseRootfs forRecipe(String id) throws Exception {
    Recipe recipe = new RecipeCatalog(null).load(List.of(id)).get(0);
    Map<String, Object> sandbox = (Map<String, Object>) recipe.data().get("sandbox");
    Map<String, Object> packages = recipe.section("packages");
    List<String> all = new ArrayList<>((List<String>) packages.get("install"));
    all.addAll((List<String>) packages.get("upgrade"));
    return new BaseRootfs(
        SandboxSettings.defaultCacheDir(),
        recipe.id(),
        (String) sandbox.get("suite"),
        (String) recipe.data().get("loginUser"),
        (List<String>) sandbox.get("basePackages"),
        (List<String>) packages.get("upgrade"),
        all);
  }

  @Test
  void digestCoversPackagesAndUser() {
    Path c = Path.of("/nonexistent");
    BaseRootfs a = new BaseRootfs(c, "debian-12", "bookworm", "admin", List.of());
    BaseRootfs b = new BaseRootfs(c, "debian-12", "bookworm", "admin", List.of("jq"));
    BaseRootfs d = new BaseRootfs(c, "debian-12", "bookworm", "debian", List.of());
    BaseRootfs same = new BaseRootfs(c, "debian-12", "bookworm", "admin", List.of());
    BaseRootfs trixie = new BaseRootfs(c, "debian-12", "trixie", "admin", List.of());
    BaseRootfs.Mirrors m = new BaseRootfs.Mirrors("http://mirror.example/debian", "http://s/x");
    BaseRootfs mirrored =
        new BaseRootfs(c, "debian-12", "bookworm", "admin", List.of(), List.of(), List.of(), m);
    assertThat(a.digest())
        .isNotEqualTo(b.digest())
        .isNotEqualTo(d.digest())
        .isNotEqualTo(trixie.digest())
        .isNotEqualTo(mirrored.digest());
    assertThat(same.digest()).isEqualTo(a.digest());
    assertThat(a.repo().getFileName().toString()).isEqualTo(a.dir().getFileName() + ".repo");
    assertThat(a.dir().getParent()).isEqualTo(c.resolve("base"));
  }

  @Test
  void mirrorsComeFromTheMachinesAptSources(@org.junit.jupiter.api.io.TempDir Path apt)
      throws Exception {
    assertThat(BaseRootfs.Mirrors.ofMachine(apt)).isEqualTo(BaseRootfs.Mirrors.DEFAULT);
    Files.createDirectories(apt.resolve("sources.list.d"));
    Files.writeString(
        apt.resolve("sources.list.d/debian.sources"),
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n\n"
            + "Types: deb\nURIs: https://sec.example/debian-security\nSuites: bookworm-security\n");
    Files.writeString(
        apt.resolve("sources.list.d/other.list"), "deb http://evil.example/ubuntu jammy main\n");
    Files.writeString(apt.resolve("sources.list.d/ignored.txt"), "http://x.example/debian\n");
    assertThat(BaseRootfs.Mirrors.ofMachine(apt))
        .isEqualTo(
            new BaseRootfs.Mirrors(
                "http://mirror.example/debian", "https://sec.example/debian-security"));
  }

  @Test
  void aSuiteThatIsNotOneWordIsRefused() {
    assertThatThrownBy(
            () ->
                new BaseRootfs(
                    Path.of("/nonexistent"), "x", "bookworm; rm -rf /", "admin", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Builds (or finds) the real cached bases: root only, as CI runs. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"debian-12", "debian-13"})
  void buildsEachSandboxRecipesBaseOnce(String recipe) throws Exception {
    assumeTrue(Procs.isRoot(), "the sandbox needs root");
    BaseRootfs base = forRecipe(recipe);
    Path dir = base.ensure(System.out::println);
    assertThat(dir.resolve("usr/sbin/sshd")).exists();
    // fail2ban is not in the base: the bake installs it from the repository
    assertThat(dir.resolve("usr/bin/fail2ban-client")).doesNotExist();
    assertThat(Files.readString(base.repo().resolve("Packages"))).contains("Package: fail2ban");
    assertThat(dir.resolve("etc/services")).exists();
    assertThat(Files.readString(dir.resolve("etc/hosts"))).contains("127.0.0.1 localhost");
    assertThat(Files.readString(dir.resolve("etc/sudoers.d/90-cloud-init-users")))
        .contains("admin ALL=(ALL) NOPASSWD:ALL");
    assertThat(dir.resolve("home/admin")).isDirectory();
    if (recipe.equals("debian-13")) {
      // systemd-userdbd's key-command drop-in, which the bake must beat (sandbox.basePackages)
      // a symlink to /usr/lib/systemd/sshd_config.d/ (absolute: read it inside the base)
      assertThat(dir.resolve("etc/ssh/sshd_config.d/20-systemd-userdb.conf")).isSymbolicLink();
      assertThat(
              Files.readString(dir.resolve("usr/lib/systemd/sshd_config.d/20-systemd-userdb.conf")))
          .contains("AuthorizedKeysCommand /usr/bin/userdbctl ssh-authorized-keys %u");
      assertThat(dir.resolve("usr/lib/openssh/sshd-session")).exists();
    }
    try (var s = Files.list(dir.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
    }
  }
}
