package dev.kiln.packer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.spec.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackerExecutableTest {
  @TempDir Path dir;

  Path fake(String name, String versionLine) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, "#!/bin/sh\necho '" + versionLine + "'\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    return f;
  }

  @Test
  void missingPackerSaysHowToInstall() {
    assertThatThrownBy(() -> PackerExecutable.locate(null, dir.toString()))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("apt-get install packer")
        .hasMessageContaining("releases.hashicorp.com")
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("packer.executable"));
  }

  @Test
  void tooOldIsRejected() throws Exception {
    fake("packer", "Packer v1.6.5");
    assertThatThrownBy(() -> PackerExecutable.locate(null, dir.toString()))
        .hasMessageContaining("1.6.5")
        .hasMessageContaining("1.6.6 or later");
  }

  @Test
  void configuredPathWinsAndVersionIsRead() throws Exception {
    Path f = fake("my-packer", "Packer v1.11.2");
    PackerExecutable p = PackerExecutable.locate(f.toString(), "");
    assertThat(p.path()).isEqualTo(f);
    assertThat(p.version()).hasToString("1.11.2");
    assertThatThrownBy(() -> PackerExecutable.locate(dir.resolve("nope").toString(), ""))
        .hasMessageContaining("not an executable file");
  }

  @Test
  void theRealPackerOnThisMachine() throws Exception {
    if (Files.isExecutable(Path.of("/usr/bin/packer"))) {
      PackerExecutable p = PackerExecutable.locate(null, "/usr/bin");
      assertThat(p.version().compareTo(PackerExecutable.MINIMUM)).isGreaterThanOrEqualTo(0);
    }
  }
}
