package dev.kiln.exec;

import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** New ed25519 key pairs from ssh-keygen (jsch cannot write ed25519 private keys). */
public final class SshKeygen {
  private SshKeygen() {}

  /**
   * The command that writes a new passphrase-less ed25519 key pair to {@code file} and {@code
   * file.pub}; ssh-keygen asks before overwriting, so {@code file} must not exist.
   */
  public static List<String> ed25519(String comment, Path file) {
    return ed25519("ssh-keygen", comment, file);
  }

  /** {@link #ed25519(String, Path)} with a located ssh-keygen. */
  public static List<String> ed25519(String keygen, String comment, Path file) {
    return List.of(keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file.toString());
  }

  /** Runs {@link #ed25519}, failing with ssh-keygen's output. */
  public static void newEd25519(String comment, Path file) throws KilnException {
    Procs.check(ed25519(comment, file), Duration.ofSeconds(20));
  }
}
