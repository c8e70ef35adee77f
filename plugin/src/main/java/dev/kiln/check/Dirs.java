package dev.kiln.check;

import dev.kiln.render.BundleWriter;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Temporary directory helpers. */
final class Dirs {
  private Dirs() {}

  /** Deletes a tree without following symbolic links; errors are ignored. */
  static void deleteQuietly(Path root) {
    if (root == null) {
      return;
    }
    try {
      BundleWriter.deleteTree(root);
    } catch (IOException e) {
      // best effort: a temporary directory
    }
  }

  /** Copies a tree, keeping symbolic links as links. */
  static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
              throws IOException {
            Files.createDirectories(to.resolve(from.relativize(d).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            Path target = to.resolve(from.relativize(f).toString());
            if (a.isSymbolicLink()) {
              Files.createSymbolicLink(target, Files.readSymbolicLink(f));
            } else {
              Files.copy(f, target);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
