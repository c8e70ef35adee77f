package dev.kiln.check;

import dev.kiln.exec.Procs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Every rendered program parses: {@code bash -n} and (when installed) {@code shellcheck -S warning}
 * for shell scripts, a byte-compile for Python programs (without writing caches into the bundle).
 */
final class ScriptCheck {
  static final String CHECK = "scripts";
  private static final Pattern SHELL = Pattern.compile("^#!\\s*\\S*/(?:env\\s+)?(ba)?sh\\b.*");
  private static final Pattern PYTHON = Pattern.compile("^#!\\s*\\S*/(?:env\\s+)?python3?\\b.*");
  private static final String COMPILE =
      "import sys\nfor p in sys.argv[1:]:\n"
          + "    compile(open(p, 'rb').read(), p, 'exec', dont_inherit=True)\n";

  private final Tools tools;

  ScriptCheck(Tools tools) {
    this.tools = tools;
  }

  List<Finding> run(CheckInput in) {
    String recipe = in.recipeId();
    List<Finding> out = new ArrayList<>();
    List<Path> shells = new ArrayList<>();
    List<Path> pythons = new ArrayList<>();
    try (var s = Files.walk(in.bundleDir())) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        String first = firstLine(p);
        if (SHELL.matcher(first).matches()) {
          shells.add(p);
        } else if (PYTHON.matcher(first).matches() || p.toString().endsWith(".py")) {
          pythons.add(p);
        }
      }
    } catch (IOException e) {
      out.add(new Finding(recipe, CHECK, 0, "cannot list the bundle", e.toString()));
      return out;
    }
    if (!shells.isEmpty()) {
      Optional<Path> bash = tools.find("bash");
      Optional<Path> shellcheck = tools.find("shellcheck");
      if (bash.isEmpty()) {
        out.add(Tools.missing(recipe, CHECK + ".bash", 0, "bash", "the shell scripts' syntax"));
      }
      if (shellcheck.isEmpty()) {
        // Optional tool: noted, not a failure of the bundle.
        out.add(
            new Finding(
                recipe,
                CHECK + ".shellcheck",
                0,
                "note: shellcheck is not installed, shell scripts were only checked with bash -n;"
                    + " install it: "
                    + Tools.INSTALL.get("shellcheck"),
                ""));
      }
      for (Path p : shells) {
        String rel = in.bundleDir().relativize(p).toString();
        if (bash.isPresent()) {
          Procs.Captured r = Procs.capture(List.of(bash.get().toString(), "-n", p.toString()), 30);
          if (!r.ok()) {
            out.add(
                new Finding(
                    recipe,
                    CHECK + ".bash",
                    0,
                    rel + ": bash -n finds a syntax error",
                    r.output()));
            continue;
          }
        }
        if (shellcheck.isPresent()) {
          Procs.Captured r =
              Procs.capture(
                  List.of(shellcheck.get().toString(), "-S", "warning", p.toString()), 60);
          if (!r.ok()) {
            out.add(
                new Finding(
                    recipe,
                    CHECK + ".shellcheck",
                    0,
                    rel + ": shellcheck -S warning reports problems",
                    r.output()));
          }
        }
      }
    }
    if (!pythons.isEmpty()) {
      Optional<Path> python = tools.find("python3");
      if (python.isEmpty()) {
        out.add(Tools.missing(recipe, CHECK + ".python", 0, "python3", "the Python programs"));
      } else {
        for (Path p : pythons) {
          Procs.Captured r =
              Procs.capture(
                  List.of(python.get().toString(), "-I", "-c", COMPILE, p.toString()), 30);
          if (!r.ok()) {
            out.add(
                new Finding(
                    recipe,
                    CHECK + ".python",
                    0,
                    in.bundleDir().relativize(p) + ": Python cannot compile it",
                    r.output()));
          }
        }
      }
    }
    return out;
  }

  private static String firstLine(Path p) throws IOException {
    try (InputStream in = Files.newInputStream(p)) {
      byte[] head = in.readNBytes(200);
      String s = new String(head, StandardCharsets.UTF_8);
      int nl = s.indexOf('\n');
      return nl < 0 ? s : s.substring(0, nl);
    }
  }
}
