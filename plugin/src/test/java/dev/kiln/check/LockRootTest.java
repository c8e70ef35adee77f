package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnSpec;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rendered lock-root program on a copy of this machine's account files ({@code --root}). */
class LockRootTest {
  @TempDir Path dir;
  Path program;
  Path root;
  Path shadow;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/etc/shadow")), "needs to read /etc/shadow (root)");
    KilnSpec spec = Bundles.render(dir.resolve("render"), Map.of("recipes", "debian-12"));
    program = spec.outputDir().resolve("debian-12/rootfs/usr/libexec/kiln/lock-root");
    root = Files.createDirectories(dir.resolve("root"));
    Path etc = Files.createDirectories(root.resolve("etc"));
    for (String f : List.of("passwd", "shadow", "group", "gshadow")) {
      Files.copy(Path.of("/etc", f), etc.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
    }
    shadow = etc.resolve("shadow");
    setRootField("$6$salt$notarealhash");
  }

  private void setRootField(String field) throws Exception {
    List<String> lines = new ArrayList<>();
    for (String l : Files.readAllLines(shadow)) {
      String[] f = l.split(":", -1);
      if (f[0].equals("root")) {
        f[1] = field;
        l = String.join(":", f);
      }
      lines.add(l);
    }
    Files.writeString(shadow, String.join("\n", lines) + "\n");
  }

  private String rootField() throws Exception {
    return Files.readAllLines(shadow).stream()
        .filter(l -> l.startsWith("root:"))
        .findFirst()
        .orElseThrow()
        .split(":", -1)[1];
  }

  private Procs.Captured lockRoot(Map<String, String> env) {
    return Procs.capture(
        List.of("python3", program.toString(), "--root", root.toString()),
        null,
        env,
        Duration.ofSeconds(60));
  }

  @Test
  void locksTheFieldKeepsModeAndOwnerAndPwckStaysClean() throws Exception {
    PosixFileAttributes before =
        Files.readAttributes(shadow, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Procs.Captured r = lockRoot(Map.of());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(rootField()).isEqualTo("!$6$salt$notarealhash");
    PosixFileAttributes after =
        Files.readAttributes(shadow, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    assertThat(after.permissions()).isEqualTo(before.permissions());
    assertThat(after.owner()).isEqualTo(before.owner());
    assertThat(after.group()).isEqualTo(before.group());
    Path etc = root.resolve("etc");
    assertThat(Procs.capture(List.of("pwck", "-r", "-q", "-R", root.toString()), 30).exitCode())
        .isZero();
    assertThat(
            Procs.capture(
                    List.of(
                        "grpck",
                        "-r",
                        etc.resolve("group").toString(),
                        etc.resolve("gshadow").toString()),
                    30)
                .exitCode())
        .isZero();
    try (var s = Files.list(etc)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .as("no temporary file left behind")
          .noneMatch(n -> n.startsWith(".shadow.kiln"));
    }
  }

  @Test
  void secondRunChangesNothing() throws Exception {
    assertThat(lockRoot(Map.of()).exitCode()).isZero();
    byte[] once = Files.readAllBytes(shadow);
    Procs.Captured r = lockRoot(Map.of());
    assertThat(r.exitCode()).isZero();
    assertThat(r.output()).contains("already locked");
    assertThat(Files.readAllBytes(shadow)).isEqualTo(once);
  }

  @Test
  void emptyFieldBecomesBangStarAndStarStaysAsItIs() throws Exception {
    setRootField("");
    assertThat(lockRoot(Map.of()).exitCode()).isZero();
    assertThat(rootField()).isEqualTo("!*");
    setRootField("*");
    assertThat(lockRoot(Map.of()).exitCode()).isZero();
    assertThat(rootField()).isEqualTo("*");
  }

  @Test
  void failureBeforeTheRenameLeavesTheOriginalFile() throws Exception {
    byte[] original = Files.readAllBytes(shadow);
    Procs.Captured r = lockRoot(Map.of("KILN_LOCK_ROOT_FAIL_AT", "before-rename"));
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.output()).contains("refused, nothing changed");
    assertThat(Files.readAllBytes(shadow)).isEqualTo(original);
    try (var s = Files.list(root.resolve("etc"))) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith(".shadow.kiln"));
    }
  }

  @Test
  void inconsistentAccountFilesAreRefusedUntouched() throws Exception {
    Files.writeString(shadow, Files.readString(shadow) + "ghost:*:19000:0:99999:7:::\n");
    byte[] original = Files.readAllBytes(shadow);
    Procs.Captured r = lockRoot(Map.of());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.output()).contains("pwck");
    assertThat(Files.readAllBytes(shadow)).isEqualTo(original);
  }

  @Test
  void malformedShadowIsRefusedUntouched() throws Exception {
    Files.writeString(shadow, Files.readString(shadow) + "broken-line\n");
    byte[] original = Files.readAllBytes(shadow);
    assertThat(lockRoot(Map.of()).exitCode()).isEqualTo(1);
    assertThat(Files.readAllBytes(shadow)).isEqualTo(original);
  }
}
