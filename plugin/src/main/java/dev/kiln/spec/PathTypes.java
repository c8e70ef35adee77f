package dev.kiln.spec;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Path-valued parameters. Relative paths resolve against the project directory; no path may hold a
 * control character, and a directory Kiln writes into or deletes from is never the filesystem root,
 * a system directory or the home directory itself.
 */
public final class PathTypes {
  private PathTypes() {}

  private static final int MAX = 1024;
  private static final Pattern COMMAND = Pattern.compile("[A-Za-z0-9._+-]{1,255}");

  /** Directories no output or cache of Kiln's may be (or be inside, for the first group). */
  private static final Set<String> SYSTEM_TREES =
      Set.of(
          "/proc", "/sys", "/dev", "/etc", "/boot", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
          "/libx32", "/usr", "/run");

  private static final Set<String> SYSTEM_DIRS =
      Set.of(
          "/",
          "/home",
          "/root",
          "/tmp",
          "/var",
          "/var/tmp",
          "/var/lib",
          "/var/log",
          "/var/cache",
          "/opt",
          "/srv",
          "/mnt",
          "/media",
          "/snap",
          "/lost+found");

  private static final List<String> BAD_PATHS = List.of("a\u0000b", "a\u001bb", "a\u2028b");

  /** An existing directory, as an absolute normalized {@code Path}. */
  public static ValueType existingDirectory() {
    return new Types.Simple(
        "an existing directory (relative to the project)",
        BAD_PATHS,
        (t, b) -> {
          Path p = resolve(t, b);
          if (!Files.isDirectory(p)) {
            throw new ValueType.Invalid("no such directory");
          }
          return p;
        });
  }

  /** An existing regular file, as an absolute normalized {@code Path}. */
  public static ValueType existingFile() {
    return new Types.Simple(
        "an existing file (relative to the project)",
        BAD_PATHS,
        (t, b) -> {
          Path p = resolve(t, b);
          if (!Files.isRegularFile(p)) {
            throw new ValueType.Invalid("no such file");
          }
          return p;
        });
  }

  /** A directory Kiln writes into (created when missing), never a system directory. */
  public static ValueType writableDirectory() {
    return new Types.Simple(
        "a directory path (relative to the project) that is not the filesystem root, a system"
            + " directory or the home directory itself",
        List.of("/", "/etc", "/usr/lib", "/proc/self", "/home", "/tmp", "/var", "a\nb", "a\u0000b"),
        (t, b) -> {
          Path p = resolve(t, b);
          String s = p.toString();
          if (SYSTEM_DIRS.contains(s)
              || SYSTEM_TREES.stream().anyMatch(d -> s.equals(d) || s.startsWith(d + "/"))
              || p.equals(Path.of(System.getProperty("user.home")).toAbsolutePath().normalize())) {
            throw new ValueType.Invalid("it is " + s);
          }
          return p;
        });
  }

  /** A command name looked up on the PATH, or a path to an executable file. */
  public static ValueType executable() {
    return new Types.Simple(
        "a command name ([A-Za-z0-9._+-]) on the PATH or the path of an executable file",
        List.of("packer;id", "$(id)", "a b", "/nonexistent/packer", "a\u0000b"),
        (t, b) -> {
          if (t.indexOf('/') < 0) {
            if (!COMMAND.matcher(t).matches()) {
              throw new ValueType.Invalid(null);
            }
            return t;
          }
          Path p = resolve(t, b);
          if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
            throw new ValueType.Invalid("no such executable file");
          }
          return p.toString();
        });
  }

  /** {@code text} against {@code base}, refusing control characters and overlong paths. */
  static Path resolve(String text, Path base) throws ValueType.Invalid {
    if (text.length() > MAX) {
      throw new ValueType.Invalid("longer than " + MAX + " characters");
    }
    for (int i = 0; i < text.length(); i++) {
      int type = Character.getType(text.charAt(i));
      if (type == Character.CONTROL
          || type == Character.FORMAT
          || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR) {
        throw new ValueType.Invalid("it holds a control character");
      }
    }
    try {
      Path p = Path.of(text);
      return (base == null ? p : base.resolve(p)).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new ValueType.Invalid(null);
    }
  }
}
