package dev.kiln.check;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the hardening parameters ask of the effective sshd configuration (controls 2–27), and the
 * comparison of {@code sshd -T}'s values with it; used by validate on the bundle and by verify on
 * the candidate ({@link EffectiveSshd}).
 */
final class SshdExpectations {
  static final String CHECK = SshdCheck.CHECK;
  static final String KEY_COMMAND = "/usr/libexec/kiln/authorized-keys %u %f";
  static final String KEY_COMMAND_USER = "kiln-keys";

  /** Keywords that only exist when sshd was built with the feature (GSSAPI, Kerberos). */
  private static final Set<String> OPTIONAL =
      Set.of("gssapiauthentication", "kerberosauthentication");

  /** One expected effective value. */
  private record Expect(String key, int control, String value) {}

  private SshdExpectations() {}

  /** Findings for every effective value that differs from what is asked. */
  static List<Finding> compare(
      CheckInput in, Map<String, List<String>> eff, Path key, String evidenceFiles) {
    String recipe = in.recipeId();
    List<Finding> out = new ArrayList<>();
    for (Expect x : expectations(in)) {
      List<String> got = eff.get(x.key());
      if (got == null) {
        if (!OPTIONAL.contains(x.key())) {
          out.add(
              new Finding(
                  recipe,
                  CHECK + "." + x.key(),
                  x.control(),
                  "sshd -T does not print " + x.key() + "; expected " + x.key() + " " + x.value(),
                  evidenceFiles));
        }
        continue;
      }
      if (got.size() != 1 || !got.get(0).equalsIgnoreCase(x.value())) {
        out.add(
            new Finding(
                recipe,
                CHECK + "." + x.key(),
                x.control(),
                "effective "
                    + x.key()
                    + " is '"
                    + String.join(" | ", got)
                    + "', expected '"
                    + x.value()
                    + "'",
                evidenceFiles));
      }
    }
    // Control 26: exactly the marker group plus the listed local groups.
    Set<String> groups = new LinkedHashSet<>();
    String marker = CheckInput.string(in.access(), "markerGroup");
    if (marker != null) {
      groups.add(marker);
    }
    groups.addAll(CheckInput.strings(in.hardening(), "allowGroups"));
    Set<String> gotGroups = new LinkedHashSet<>();
    for (String v : eff.getOrDefault("allowgroups", List.of())) {
      gotGroups.addAll(List.of(v.split("\\s+")));
    }
    if (!gotGroups.equals(groups)) {
      out.add(
          new Finding(
              recipe,
              CHECK + ".allowgroups",
              26,
              "effective allowgroups is "
                  + gotGroups
                  + ", expected "
                  + groups
                  + " (access.markerGroup plus hardening.allowGroups)",
              evidenceFiles));
    }
    // Control 12: host keys are ed25519 and RSA only (the throwaway key stands in for them).
    for (String hk : eff.getOrDefault("hostkey", List.of())) {
      boolean ok =
          hk.equals(key.toString())
              || hk.endsWith("/ssh_host_ed25519_key")
              || hk.endsWith("/ssh_host_rsa_key");
      if (!ok) {
        out.add(
            new Finding(
                recipe,
                CHECK + ".hostkey",
                12,
                "effective hostkey "
                    + hk
                    + " is neither ed25519 nor RSA; expected only ssh_host_ed25519_key and"
                    + " ssh_host_rsa_key",
                evidenceFiles));
      }
    }
    return out;
  }

  private static List<Expect> expectations(CheckInput in) {
    Map<String, Object> h = in.hardening();
    List<Expect> e = new ArrayList<>();
    e.add(new Expect("permitrootlogin", 2, "no"));
    e.add(new Expect("passwordauthentication", 3, "no"));
    e.add(new Expect("kbdinteractiveauthentication", 4, "no"));
    e.add(new Expect("authenticationmethods", 5, "publickey"));
    e.add(new Expect("permitemptypasswords", 6, "no"));
    e.add(new Expect("pubkeyauthentication", 7, "yes"));
    e.add(new Expect("authorizedkeyscommand", 8, KEY_COMMAND));
    e.add(new Expect("authorizedkeyscommanduser", 8, KEY_COMMAND_USER));
    e.add(new Expect("authorizedkeysfile", 8, "none"));
    e.add(new Expect("kexalgorithms", 9, String.join(",", CheckInput.strings(in.sshd(), "kex"))));
    e.add(new Expect("ciphers", 10, String.join(",", CheckInput.strings(in.sshd(), "ciphers"))));
    e.add(new Expect("macs", 11, String.join(",", CheckInput.strings(in.sshd(), "macs"))));
    e.add(
        new Expect(
            "hostkeyalgorithms",
            12,
            String.join(",", CheckInput.strings(in.sshd(), "hostKeyAlgorithms"))));
    e.add(new Expect("maxauthtries", 14, str(h.get("maxAuthTries"))));
    e.add(new Expect("logingracetime", 15, str(h.get("loginGraceTime"))));
    e.add(new Expect("maxstartups", 16, str(h.get("maxStartups"))));
    e.add(new Expect("maxsessions", 17, str(h.get("maxSessions"))));
    e.add(new Expect("clientaliveinterval", 18, str(h.get("clientAliveInterval"))));
    e.add(new Expect("clientalivecountmax", 18, str(h.get("clientAliveCountMax"))));
    e.add(new Expect("x11forwarding", 19, "no"));
    e.add(new Expect("allowagentforwarding", 19, "no"));
    e.add(
        new Expect(
            "allowtcpforwarding",
            19,
            Boolean.TRUE.equals(h.get("allowTcpForwarding")) ? "yes" : "no"));
    e.add(
        new Expect(
            "disableforwarding",
            19,
            Boolean.TRUE.equals(h.get("allowTcpForwarding")) ? "no" : "yes"));
    e.add(new Expect("permittunnel", 19, "no"));
    e.add(new Expect("gatewayports", 19, "no"));
    e.add(new Expect("permituserenvironment", 20, "no"));
    e.add(new Expect("hostbasedauthentication", 21, "no"));
    e.add(new Expect("ignorerhosts", 21, "yes"));
    e.add(new Expect("gssapiauthentication", 22, "no"));
    e.add(new Expect("kerberosauthentication", 22, "no"));
    e.add(new Expect("usepam", 23, "yes"));
    e.add(new Expect("loglevel", 24, "VERBOSE"));
    e.add(new Expect("compression", 25, "no"));
    e.add(new Expect("tcpkeepalive", 25, "no"));
    e.add(new Expect("usedns", 25, "no"));
    e.add(new Expect("strictmodes", 25, "yes"));
    String banner = str(h.get("banner"));
    e.add(new Expect("banner", 27, banner.isEmpty() ? "none" : banner));
    e.add(new Expect("port", 0, str(h.get("port"))));
    return e;
  }

  private static String str(Object o) {
    return o == null ? "" : o.toString();
  }
}
