package dev.kiln.sandbox;

import java.nio.file.Path;

/** Where the sandbox keeps its cache (base root filesystems, image layers, the image index). */
public final class SandboxSettings {
  private SandboxSettings() {}

  /** {@code $XDG_CACHE_HOME/kiln}, else {@code ~/.cache/kiln}. */
  public static Path defaultCacheDir() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return Path.of(xdg, "kiln");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "kiln");
  }
}
