package dev.kiln.packer;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A located, version-checked {@code packer} executable. */
public final class PackerExecutable {
  /** The oldest Packer Kiln's template supports (Debian 12's package). */
  public static final Version MINIMUM = new Version(1, 6, 6);

  static final String HOW_TO_INSTALL =
      "install Packer 1.6.6 or later: 'apt-get install packer' on Debian/Ubuntu, or a release from"
          + " HashiCorp (releases.hashicorp.com/packer), then put it on PATH or set"
          + " <packer><executable> / -Dkiln.packer.executable";

  private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)");

  private final Path path;
  private final Version version;

  private PackerExecutable(Path path, Version version) {
    this.path = path;
    this.version = version;
  }

  /** A semantic version (major.minor.patch). */
  public record Version(int major, int minor, int patch) implements Comparable<Version> {
    public static Version parse(String text) throws KilnException {
      Matcher m = VERSION.matcher(text);
      if (!m.find()) {
        throw new KilnException(
            "packer.executable",
            "cannot read Packer's version from: " + text.strip(),
            List.of(),
            null);
      }
      return new Version(
          Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    }

    @Override
    public int compareTo(Version o) {
      int c = Integer.compare(major, o.major);
      if (c == 0) {
        c = Integer.compare(minor, o.minor);
      }
      return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
      return major + "." + minor + "." + patch;
    }
  }

  /**
   * Locates Packer: {@code configured} when given (a path, or a bare name looked up on PATH), else
   * {@code packer} on PATH; runs {@code packer version} and requires at least {@link #MINIMUM}.
   *
   * @param configured {@code <packer><executable>} / {@code -Dkiln.packer.executable}, may be null
   * @param pathEnv the PATH to search (normally {@code System.getenv("PATH")})
   */
  public static PackerExecutable locate(String configured, String pathEnv) throws KilnException {
    Path exe;
    if (configured != null && !configured.isBlank()) {
      if (configured.contains("/")) {
        exe = Path.of(configured);
        if (!Files.isRegularFile(exe) || !Files.isExecutable(exe)) {
          throw new KilnException(
              "packer.executable",
              "is '" + configured + "', which is not an executable file; " + HOW_TO_INSTALL,
              List.of(),
              null);
        }
      } else {
        exe = Procs.which(configured, pathEnv, List.of());
        if (exe == null) {
          throw new KilnException(
              "packer.executable",
              "is '" + configured + "', which is not on PATH; " + HOW_TO_INSTALL,
              List.of(),
              null);
        }
      }
    } else {
      exe = Procs.which("packer", pathEnv, List.of());
      if (exe == null) {
        throw new KilnException(
            "packer.executable",
            "Packer was not found on PATH; " + HOW_TO_INSTALL,
            List.of(),
            null);
      }
    }
    Version v = Version.parse(versionOutput(exe));
    if (v.compareTo(MINIMUM) < 0) {
      throw new KilnException(
          "packer.executable",
          exe + " is Packer " + v + ", Kiln needs " + MINIMUM + " or later; " + HOW_TO_INSTALL,
          List.of(),
          null);
    }
    return new PackerExecutable(exe, v);
  }

  private static String versionOutput(Path exe) throws KilnException {
    Procs.Result r;
    try {
      r =
          Procs.run(
              List.of(exe.toString(), "version"),
              Duration.ofSeconds(30),
              Map.of("CHECKPOINT_DISABLE", "1"));
    } catch (KilnException e) {
      // cannot start, timed out or interrupted: it is the configured executable's fault or ours
      throw new KilnException("packer.executable", e.getMessage(), List.of(), e);
    }
    if (!r.ok()) {
      throw new KilnException(
          "packer.executable",
          "'" + exe + " version' failed: " + r.output().strip(),
          List.of(),
          null);
    }
    return r.output();
  }

  public Path path() {
    return path;
  }

  public Version version() {
    return version;
  }
}
