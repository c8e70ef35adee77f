package dev.kiln.render;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a bundle as a whole: into a sibling temporary directory first, then swapped into place by
 * rename, so a failure at any point leaves the previous bundle as it was.
 */
public final class BundleWriter {
  private BundleWriter() {}

  /** Writes {@code bundle} and its manifest to {@code dir}, replacing what was there. */
  public static void write(Bundle bundle, String manifest, Path dir) throws IOException {
    Path parent = parentOf(dir);
    Files.createDirectories(parent);
    Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".new-");
    try {
      for (BundleFile f : bundle.files()) {
        Path target = tmp.resolve(f.path());
        Files.createDirectories(parentOf(target));
        Files.write(target, f.content());
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(rwx(f.mode())));
      }
      Files.writeString(tmp.resolve("manifest.json"), manifest, StandardCharsets.UTF_8);
      swap(tmp, dir);
    } finally {
      deleteTree(tmp);
    }
  }

  /** The directory that holds {@code p}; fails for a filesystem root, which has none. */
  private static Path parentOf(Path p) throws IOException {
    Path parent = p.toAbsolutePath().getParent();
    if (parent == null) {
      throw new IOException(p + " has no parent directory");
    }
    return parent;
  }

  private static void swap(Path fresh, Path dir) throws IOException {
    if (!Files.exists(dir)) {
      move(fresh, dir);
      return;
    }
    Path old = Files.createTempDirectory(parentOf(dir), "." + dir.getFileName() + ".old-");
    Files.delete(old);
    move(dir, old);
    try {
      move(fresh, dir);
    } catch (IOException e) {
      move(old, dir);
      throw e;
    }
    deleteTree(old);
  }

  private static void move(Path from, Path to) throws IOException {
    AtomicFile.move(from, to);
  }

  static String rwx(String octal) {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= 3; i++) {
      int d = octal.charAt(i) - '0';
      sb.append((d & 4) != 0 ? 'r' : '-')
          .append((d & 2) != 0 ? 'w' : '-')
          .append((d & 1) != 0 ? 'x' : '-');
    }
    return sb.toString();
  }

  /** Deletes a directory tree if it exists. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
