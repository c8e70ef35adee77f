package dev.kiln.maven;

/**
 * The {@code <sandbox>} element: the local sandbox cloud. Each field is also settable as {@code
 * -Dkiln.sandbox.<name>}, which wins over the POM.
 */
public class SandboxParams {
  /**
   * Cache of the base root filesystem and the image layers. Default {@code $XDG_CACHE_HOME/kiln} or
   * {@code ~/.cache/kiln}. @since 0.1.0
   */
  String cacheDir;
}
