package dev.kiln.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.exec.Procs;
import dev.kiln.exec.SshKeygen;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second first boot behind {@code host-keys-unique}, on the real debian-12 base: an image
 * without a host key gets a new one at each boot; an image that baked one offers it at every boot,
 * which is what the control must catch. Each boot's directory, made in the candidate's own, is gone
 * afterwards.
 */
class ThrowawayHostKeyTest {
  @TempDir Path tmp;

  @Test
  void eachBootMakesItsOwnKeyUnlessTheImageBakedOne() throws Exception {
    assumeTrue(Procs.isRoot(), "mounting an overlay needs root");
    Optional<Path> base = debian12Base();
    assumeTrue(base.isPresent(), "no debian-12 sandbox base built yet (BaseRootfsTest builds it)");
    ImageStore store = new ImageStore(tmp);
    Path candidate = Files.createDirectories(tmp.resolve("candidates/c1"));

    Path clean = Files.createDirectories(tmp.resolve("clean-upper"));
    store.add(entry("ami-clean", base.get()), clean);
    String first = CandidateBoot.throwawayHostKey(tmp, "ami-clean", candidate);
    String second = CandidateBoot.throwawayHostKey(tmp, "ami-clean", candidate);
    assertThat(first).startsWith("ssh-ed25519 ");
    assertThat(second).startsWith("ssh-ed25519 ");
    assertThat(first.split(" ")[1]).isNotEqualTo(second.split(" ")[1]);

    Path baked = Files.createDirectories(tmp.resolve("baked-upper/etc/ssh"));
    SshKeygen.newEd25519("baked", baked.resolve("ssh_host_ed25519_key"));
    String bakedKey = Files.readString(baked.resolve("ssh_host_ed25519_key.pub")).strip();
    store.add(entry("ami-baked", base.get()), tmp.resolve("baked-upper"));
    assertThat(CandidateBoot.throwawayHostKey(tmp, "ami-baked", candidate).split(" ")[1])
        .isEqualTo(bakedKey.split(" ")[1]);
    assertThat(CandidateBoot.throwawayHostKey(tmp, "ami-baked", candidate).split(" ")[1])
        .isEqualTo(bakedKey.split(" ")[1]);

    // The image layers are untouched, and no boot directory is left.
    assertThat(store.layer("ami-clean").resolve("etc/ssh/ssh_host_ed25519_key")).doesNotExist();
    try (Stream<Path> left = Files.list(candidate)) {
      assertThat(left).isEmpty();
    }
  }

  private static ImageStore.Entry entry(String id, Path base) {
    return new ImageStore.Entry(
        id,
        id,
        "us-east-1",
        "x86_64",
        "ami-source",
        base.toString(),
        Map.of("kiln:bake-key", "test", "kiln:run-id", "test"));
  }

  private static Optional<Path> debian12Base() throws Exception {
    Path dir = SandboxSettings.defaultCacheDir().resolve("base");
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> bases =
          s.filter(p -> p.getFileName().toString().matches("debian-12-[0-9a-f]+"))
              .filter(p -> Files.isExecutable(p.resolve("usr/bin/ssh-keygen")))
              .toList();
      return bases.stream().findFirst();
    }
  }
}
