package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key generation through ssh-keygen and loading it back with jsch. */
class SshKeyTest {
  @TempDir Path dir;

  @Test
  void aNewKeyIsEd25519WithItsCommentAndLoadsBack() throws Exception {
    Ssh.Key k = Ssh.newKey("kiln-test");
    assertThat(k.publicLine()).startsWith("ssh-ed25519 ").endsWith(" kiln-test");
    assertThat(k.fingerprint()).isNotBlank();
    Path f = dir.resolve("k");
    Files.write(f, k.privateKey());
    Ssh.Key loaded = Ssh.loadKey(f);
    assertThat(loaded.fingerprint()).isEqualTo(k.fingerprint());
    assertThat(loaded.publicLine().split(" ")[1]).isEqualTo(k.publicLine().split(" ")[1]);
  }
}
