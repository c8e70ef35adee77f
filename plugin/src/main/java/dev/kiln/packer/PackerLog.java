package dev.kiln.packer;

/** Where Packer's progress goes; the Mojo adapts this to Maven's log. */
public interface PackerLog {
  void info(String line);

  void warn(String line);

  /** Detail normally hidden (raw machine-readable records). */
  default void debug(String line) {}

  /** A log that discards everything. */
  static PackerLog silent() {
    return new PackerLog() {
      @Override
      public void info(String line) {}

      @Override
      public void warn(String line) {}
    };
  }
}
