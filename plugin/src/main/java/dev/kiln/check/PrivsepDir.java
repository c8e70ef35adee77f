package dev.kiln.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * sshd's privilege separation directory: {@code sshd -t} and {@code sshd -T} stop when it is
 * missing (a host where sshd never ran; /run is a tmpfs). A check makes it for its run and removes
 * it afterwards when it made it.
 */
final class PrivsepDir implements AutoCloseable {
  static final Path DIR = Path.of("/run/sshd");

  private final boolean created;

  private PrivsepDir(boolean created) {
    this.created = created;
  }

  /**
   * Makes {@link #DIR} unless it exists.
   *
   * @throws IOException when it is missing and cannot be made (not root)
   */
  static PrivsepDir ensure() throws IOException {
    if (Files.isDirectory(DIR)) {
      return new PrivsepDir(false);
    }
    Files.createDirectories(DIR);
    return new PrivsepDir(true);
  }

  /** The finding when {@link #ensure} failed. */
  static Finding missing(String recipe, String check, int control, IOException e) {
    return new Finding(
        recipe,
        check,
        control,
        "sshd -t/-T need the privilege separation directory /run/sshd; create it (mkdir"
            + " -p /run/sshd) or run the check as root",
        e.toString());
  }

  @Override
  public void close() {
    if (created) {
      try {
        Files.deleteIfExists(DIR);
      } catch (IOException e) {
        // left behind; harmless
      }
    }
  }
}
