package dev.kiln.check;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the local programs the checks run: on {@code PATH}, then in the sbin directories that a
 * non-root {@code PATH} often lacks. A name can be overridden (tests point one at a missing file).
 */
public final class Tools {
  /** How to install each program on Debian/Ubuntu, for findings about a missing one. */
  static final Map<String, String> INSTALL =
      Map.of(
          "sshd", "apt-get install openssh-server",
          "ssh-keygen", "apt-get install openssh-client",
          "ssh", "apt-get install openssh-client",
          "fail2ban-client", "apt-get install fail2ban",
          "bash", "apt-get install bash",
          "packer", "apt-get install packer (or https://developer.hashicorp.com/packer/install)",
          "shellcheck", "apt-get install shellcheck",
          "python3", "apt-get install python3");

  private static final List<String> EXTRA_DIRS =
      List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

  private final Map<String, Path> overrides;

  public Tools() {
    this(Map.of());
  }

  /** {@code overrides}: program name → the executable to use instead of searching. */
  public Tools(Map<String, Path> overrides) {
    this.overrides = new LinkedHashMap<>(overrides);
  }

  /** The executable for {@code name}, if there is one. */
  public Optional<Path> find(String name) {
    if (overrides.containsKey(name)) {
      Path p = overrides.get(name);
      return p != null && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    dirs.addAll(EXTRA_DIRS);
    for (String d : dirs) {
      if (d.isEmpty()) {
        continue;
      }
      Path p = Path.of(d, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** A finding that says {@code name} is missing and how to install it. */
  static Finding missing(String recipe, String check, int control, String name, String purpose) {
    return new Finding(
        recipe,
        check,
        control,
        name
            + " is not installed, so "
            + purpose
            + " cannot be checked; install it: "
            + INSTALL.getOrDefault(name, "install " + name),
        "searched PATH and " + String.join(", ", EXTRA_DIRS));
  }
}
