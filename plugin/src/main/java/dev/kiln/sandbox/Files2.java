package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** File helpers that are safe on root filesystems (device nodes, whiteouts, symlinks). */
public final class Files2 {
  private Files2() {}

  /**
   * Deletes a tree with {@code rm -rf --one-file-system}, so a mount that is somehow still inside
   * it is never descended into.
   */
  public static void deleteTree(Path p) {
    if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Procs.run(
          List.of("rm", "-rf", "--one-file-system", "--", p.toString()),
          Duration.ofMinutes(5),
          Map.of());
    } catch (dev.kiln.spec.KilnException e) {
      // best effort
    }
  }

  /** Copies a tree preserving modes, owners, xattrs, device nodes ({@code cp -a}). */
  public static void copyTree(Path from, Path to) throws dev.kiln.spec.KilnException {
    Procs.check(List.of("cp", "-a", "--", from.toString(), to.toString()), Duration.ofMinutes(10));
  }

  static void mkdirs(Path p) throws IOException {
    Files.createDirectories(p);
  }
}
