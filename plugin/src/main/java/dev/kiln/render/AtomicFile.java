package dev.kiln.render;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The one way Kiln writes a file: a temporary sibling, then a rename over the target, so a reader
 * sees the old content or the new, never a part.
 */
public final class AtomicFile {
  private AtomicFile() {}

  /** Writes {@code content} to {@code target} atomically, creating its directory. */
  public static void write(Path target, byte[] content) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    if (parent == null) {
      throw new IOException("cannot write " + target + ": it has no parent directory");
    }
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, "." + target.getFileName(), ".tmp");
    try {
      Files.write(tmp, content);
      move(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** As {@link #write(Path, byte[])}, the text as UTF-8. */
  public static void write(Path target, String text) throws IOException {
    write(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Renames {@code from} to {@code to}, atomically where the file system can. */
  static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
