package dev.kiln.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The algorithm lists sshd gets for one recipe: the user's override, when given, must be a subset
 * of what the recipe allows for its OpenSSH version; otherwise the recipe's own list.
 */
public final class SshdAlgorithms {
  private static final Map<String, String> KINDS =
      Map.of(
          "kex", "kexAlgorithms",
          "ciphers", "ciphers",
          "macs", "macs",
          "hostKeyAlgorithms", "hostKeyAlgorithms");

  private SshdAlgorithms() {}

  /** The template's {@code sshd} map; problems go to {@code problems}. */
  public static Map<String, Object> resolve(
      Recipe recipe, Hardening h, List<InvalidParametersException.Problem> problems) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (String kind : List.of("kex", "ciphers", "macs", "hostKeyAlgorithms")) {
      List<String> allowed = recipe.algorithms(kind);
      List<String> wanted =
          switch (kind) {
            case "kex" -> h.kexAlgorithms();
            case "ciphers" -> h.ciphers();
            case "macs" -> h.macs();
            default -> h.hostKeyAlgorithms();
          };
      if (wanted.isEmpty()) {
        out.put(kind, allowed);
        continue;
      }
      List<String> unknown = wanted.stream().filter(a -> !allowed.contains(a)).toList();
      if (!unknown.isEmpty()) {
        problems.add(
            new InvalidParametersException.Problem(
                "hardening." + KINDS.get(kind),
                String.join(",", wanted),
                "a comma-separated subset of what Kiln allows with OpenSSH "
                    + recipe.opensshVersion()
                    + " (recipe "
                    + recipe.id()
                    + "): "
                    + String.join(",", allowed)
                    + "; not allowed: "
                    + String.join(",", unknown)));
      }
      out.put(kind, wanted.stream().filter(allowed::contains).toList());
    }
    return out;
  }
}
