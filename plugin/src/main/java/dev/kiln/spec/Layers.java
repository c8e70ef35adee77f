package dev.kiln.spec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Files looked up by relative name, first in a user's directory, then among the built-ins on the
 * class path. A name can never leave its base: absolute names, {@code ..} segments and anything
 * resolving outside the user directory through links are refused.
 */
public final class Layers {
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*");

  private final Path userDir;
  private final String classpathBase;
  private final ClassLoader loader;

  /**
   * @param userDir the user's directory, or null
   * @param classpathBase the built-ins' resource folder, such as {@code kiln/templates}
   */
  public Layers(Path userDir, String classpathBase, ClassLoader loader) {
    this.userDir = userDir == null ? null : userDir.toAbsolutePath().normalize();
    this.classpathBase = classpathBase;
    this.loader = loader;
  }

  public Path userDir() {
    return userDir;
  }

  /** Whether {@code name} is a relative name of safe segments. */
  public static boolean isSafe(String name) {
    if (name == null || name.isEmpty() || name.length() > 512) {
      return false;
    }
    for (String seg : name.split("/", -1)) {
      if (!SAFE_NAME.matcher(seg).matches()) {
        return false;
      }
    }
    return true;
  }

  /** The bytes of {@code name}, the user's copy first; empty when neither layer has it. */
  public Optional<byte[]> read(String name) throws IOException {
    if (!isSafe(name)) {
      throw new IOException(
          "'"
              + name
              + "' is not a relative name inside the base directory (no '..', no '/' first)");
    }
    if (userDir != null) {
      Path p = userDir.resolve(name).normalize();
      if (Files.isRegularFile(p)) {
        Path real = p.toRealPath();
        if (!real.startsWith(userDir.toRealPath())) {
          throw new IOException("'" + name + "' leaves " + userDir + " through a link");
        }
        return Optional.of(Files.readAllBytes(real));
      }
    }
    try (InputStream in = loader.getResourceAsStream(classpathBase + "/" + name)) {
      return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
    }
  }

  /** Whether the user's directory holds {@code name}. */
  public boolean userHas(String name) {
    return userDir != null && isSafe(name) && Files.isRegularFile(userDir.resolve(name));
  }
}
