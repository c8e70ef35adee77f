package dev.kiln.check;

import dev.kiln.exec.Procs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Controls 9–12 against the local OpenSSH: which of the recipe's algorithms it knows, and the
 * recipe's lists and drop-ins without the ones only the recipe's newer OpenSSH knows.
 */
final class SshdAlgorithms {
  static final String CHECK = SshdCheck.CHECK;

  /** The algorithm keywords of the drop-in and their {@code sshd} map kinds. */
  private static final Map<String, String> ALGORITHM_KEYWORDS =
      Map.of(
          "kexalgorithms", "kex",
          "ciphers", "ciphers",
          "macs", "macs",
          "hostkeyalgorithms", "hostKeyAlgorithms");

  private final Tools tools;

  SshdAlgorithms(Tools tools) {
    this.tools = tools;
  }

  /**
   * Control 9–12: algorithms the local sshd cannot parse are findings, not crashes. When the
   * recipe's OpenSSH is newer than the local one, the algorithms only the newer version knows (such
   * as mlkem768x25519-sha256 since 9.9) go into {@code newer} and a note says the rest was checked
   * here; verify checks the whole list on the candidate.
   */
  List<Finding> unknownAlgorithms(CheckInput in, Set<String> newer) {
    List<Finding> out = new ArrayList<>();
    Optional<Path> ssh = tools.find("ssh");
    Map<String, String> query =
        Map.of(
            "kex",
            "kex",
            "ciphers",
            "cipher",
            "macs",
            "mac",
            "hostKeyAlgorithms",
            "HostKeyAlgorithms");
    Map<String, Integer> control =
        Map.of("kex", 9, "ciphers", 10, "macs", 11, "hostKeyAlgorithms", 12);
    for (String kind : List.of("kex", "ciphers", "macs", "hostKeyAlgorithms")) {
      List<String> wanted = CheckInput.strings(in.sshd(), kind);
      if (wanted.isEmpty()) {
        out.add(
            new Finding(
                in.recipeId(),
                CHECK + "." + kind,
                control.get(kind),
                "sshd." + kind + " is empty; expected the algorithm list resolved for the recipe",
                ""));
        continue;
      }
      if (ssh.isEmpty()) {
        continue;
      }
      Procs.Captured r = Procs.capture(List.of(ssh.get().toString(), "-Q", query.get(kind)), 10);
      if (!r.ok()) {
        continue;
      }
      Set<String> known = new LinkedHashSet<>(List.of(r.stdout().strip().split("\\s+")));
      List<String> unknown = wanted.stream().filter(a -> !known.contains(a)).toList();
      String recipeVersion = CheckInput.string(in.recipe(), "openssh.version");
      String localVersion = localVersion(ssh.get());
      if (!unknown.isEmpty()
          && localVersion != null
          && recipeVersion != null
          && compareVersions(recipeVersion, localVersion) > 0
          && unknown.size() < wanted.size()) {
        newer.addAll(unknown);
        out.add(
            new Finding(
                in.recipeId(),
                CHECK + "." + kind,
                control.get(kind),
                "note: the local OpenSSH "
                    + localVersion
                    + " is older than the recipe's "
                    + recipeVersion
                    + " and does not know "
                    + unknown
                    + "; the configuration was checked here without them (kiln:verify checks the"
                    + " whole list on the candidate)",
                "ssh -Q " + query.get(kind) + " lists " + known.size() + " algorithms"));
        continue;
      }
      if (!unknown.isEmpty()) {
        out.add(
            new Finding(
                in.recipeId(),
                CHECK + "." + kind,
                control.get(kind),
                "the local OpenSSH does not know "
                    + unknown
                    + ", so the configuration cannot be validated here; validate on a machine"
                    + " whose OpenSSH is at least the recipe's ("
                    + CheckInput.string(in.recipe(), "openssh.version")
                    + ")",
                "ssh -Q " + query.get(kind) + " lists " + known.size() + " algorithms"));
      }
    }
    return out;
  }

  /**
   * The algorithms of {@code in} that only the recipe's newer OpenSSH knows (see {@link
   * #unknownAlgorithms}); other checks that run the local sshd on the bundle leave them out too.
   */
  Set<String> newerAlgorithms(CheckInput in) {
    Set<String> newer = new LinkedHashSet<>();
    unknownAlgorithms(in, newer);
    return newer;
  }

  /** {@code in} with {@code drop} removed from its algorithm lists. */
  static CheckInput withoutAlgorithms(CheckInput in, Set<String> drop) {
    Map<String, Object> sshd = new LinkedHashMap<>(in.sshd());
    for (String kind : ALGORITHM_KEYWORDS.values()) {
      sshd.put(
          kind,
          CheckInput.strings(in.sshd(), kind).stream().filter(a -> !drop.contains(a)).toList());
    }
    return new CheckInput(
        in.bundleDir(), in.recipe(), in.hardening(), sshd, in.access(), in.extraSshdDropIns());
  }

  /** A drop-in's text with {@code drop} removed from its algorithm lines. */
  static String stripAlgorithms(String text, Set<String> drop) {
    if (drop.isEmpty()) {
      return text;
    }
    StringBuilder b = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      String[] kv = line.strip().split("\\s+", 2);
      if (kv.length == 2 && ALGORITHM_KEYWORDS.containsKey(kv[0].toLowerCase(Locale.ROOT))) {
        List<String> kept =
            List.of(kv[1].split(",")).stream().filter(a -> !drop.contains(a)).toList();
        line = kv[0] + " " + String.join(",", kept);
      }
      b.append(line).append('\n');
    }
    return b.substring(0, b.length() - 1);
  }

  /** The local OpenSSH's major.minor ({@code ssh -V}), or null. */
  private static String localVersion(Path ssh) {
    Procs.Captured r = Procs.capture(List.of(ssh.toString(), "-V"), 10);
    var m = java.util.regex.Pattern.compile("OpenSSH_(\\d+\\.\\d+)").matcher(r.output());
    return m.find() ? m.group(1) : null;
  }

  /** Compares major.minor versions numerically. */
  static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < 2; i++) {
      int c =
          Integer.compare(
              Integer.parseInt(x.length > i ? x[i] : "0"),
              Integer.parseInt(y.length > i ? y[i] : "0"));
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }
}
