package dev.kiln.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The file view of sshd's configuration against Kiln's drop-in and the effective view ({@code sshd
 * -T}). Compliance scanners read files: some only {@code sshd_config}, others every drop-in, and
 * they want every occurrence of a keyword to carry the expected value. So for each keyword Kiln's
 * drop-in sets:
 *
 * <ul>
 *   <li>single-valued: {@code sshd_config} states the same value, every other occurrence in any
 *       file (also inside Match blocks) states the same value, and {@code sshd -T} shows it;
 *   <li>additive ({@link #ADDITIVE}: they add up instead of "first wins"): no other file sets it.
 * </ul>
 *
 * <p>Used by kiln:validate on the recipe's stock files after {@code sshd-align.sh}, and by verify
 * on a candidate's real files. The same keyword sets as {@code sshd-align.sh}.
 */
public final class FileView {
  /** Keywords whose lines add up (sshd-align.sh's {@code additive}). */
  public static final Set<String> ADDITIVE =
      Set.of("port", "hostkey", "allowgroups", "listenaddress");

  /** The name of Kiln's drop-in. */
  public static final String KILN_DROP_IN = "00-kiln-hardening.conf";

  private FileView() {}

  /** {@code sshd -T} output parsed: lowercase keyword → every value it printed, in order. */
  public static Map<String, List<String>> effective(String sshdT) {
    return SshdText.parse(sshdT);
  }

  /** Active {@code keyword value} lines of a configuration text, keywords lowercased. */
  static List<String[]> settings(String text) {
    List<String[]> out = new ArrayList<>();
    for (String raw : text.split("\n", -1)) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] kv = line.split("[ \t=]+", 2);
      String k = kv[0].toLowerCase(Locale.ROOT);
      if (k.equals("challengeresponseauthentication")) {
        k = "kbdinteractiveauthentication";
      }
      out.add(new String[] {k, kv.length > 1 ? kv[1].strip().replaceAll("[ \t]+", " ") : ""});
    }
    return out;
  }

  /**
   * Every divergence, one sentence each naming the file, the keyword and both values.
   *
   * @param files file name → text: {@code sshd_config} and every drop-in by its name (Kiln's is
   *     {@link #KILN_DROP_IN})
   * @param effective {@code sshd -T} output parsed (lowercase keyword → values), or null to skip
   *     the effective comparison
   */
  public static List<String> divergences(
      Map<String, String> files, Map<String, List<String>> effective) {
    List<String> out = new ArrayList<>();
    String kiln = files.get(KILN_DROP_IN);
    if (kiln == null) {
      out.add(KILN_DROP_IN + " is missing");
      return out;
    }
    Map<String, String> want = new LinkedHashMap<>();
    for (String[] kv : settings(kiln)) {
      want.putIfAbsent(kv[0], kv[1]);
    }
    String main = files.get("sshd_config");
    if (main == null) {
      out.add("sshd_config is missing");
      return out;
    }
    Map<String, List<String>> inMain = byKeyword(main);
    for (Map.Entry<String, String> w : want.entrySet()) {
      String k = w.getKey();
      if (ADDITIVE.contains(k)) {
        continue;
      }
      if (!inMain.containsKey(k)) {
        out.add(
            "sshd_config does not state "
                + k
                + "; "
                + KILN_DROP_IN
                + " says '"
                + w.getValue()
                + "'");
      }
    }
    for (Map.Entry<String, String> f : files.entrySet()) {
      if (f.getKey().equals(KILN_DROP_IN)) {
        continue;
      }
      for (Map.Entry<String, List<String>> e : byKeyword(f.getValue()).entrySet()) {
        String k = e.getKey();
        String v = want.get(k);
        if (v == null) {
          continue;
        }
        for (String got : e.getValue()) {
          if (ADDITIVE.contains(k)) {
            out.add(f.getKey() + " sets " + k + " '" + got + "' besides " + KILN_DROP_IN);
          } else if (!got.equals(v)) {
            out.add(
                f.getKey()
                    + " sets "
                    + k
                    + " '"
                    + got
                    + "', "
                    + KILN_DROP_IN
                    + " says '"
                    + v
                    + "'");
          }
        }
      }
    }
    if (effective != null) {
      for (Map.Entry<String, String> w : want.entrySet()) {
        List<String> eff = effective.get(w.getKey());
        if (eff == null || ADDITIVE.contains(w.getKey())) {
          continue; // not printed by this sshd build (GSSAPI, Kerberos), or a list of values
        }
        if (eff.size() != 1 || !eff.get(0).equalsIgnoreCase(w.getValue())) {
          out.add(
              "sshd -T shows "
                  + w.getKey()
                  + " '"
                  + String.join(" | ", eff)
                  + "', the files say '"
                  + w.getValue()
                  + "'");
        }
      }
    }
    return out;
  }

  private static Map<String, List<String>> byKeyword(String text) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (String[] kv : settings(text)) {
      m.computeIfAbsent(kv[0], x -> new ArrayList<>()).add(kv[1]);
    }
    return m;
  }
}
