package dev.kiln.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayersTest {
  @TempDir Path dir;

  @Test
  void userFileWinsOverBuiltIn() throws Exception {
    Files.writeString(dir.resolve("bundle.yaml"), "mine");
    Layers layers = new Layers(dir, "kiln/templates", getClass().getClassLoader());
    assertThat(new String(layers.read("bundle.yaml").orElseThrow())).isEqualTo("mine");
    assertThat(layers.read("sshd/00-kiln-hardening.conf.j2")).isPresent();
  }

  @Test
  void namesCannotLeaveTheBase() throws Exception {
    Layers layers = new Layers(dir, "kiln/templates", getClass().getClassLoader());
    assertThatThrownBy(() -> layers.read("/etc/shadow")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> layers.read("../../etc/passwd")).isInstanceOf(IOException.class);
    Files.createSymbolicLink(dir.resolve("link.j2"), Path.of("/etc/hostname"));
    assertThatThrownBy(() -> layers.read("link.j2"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("through a link");
  }
}
