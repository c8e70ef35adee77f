package dev.kiln.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code <hardening>} element, validated. Defaults are hardening.md's; durations are seconds.
 * Algorithm overrides are checked per recipe by {@link SshdAlgorithms}.
 */
public record Hardening(
    int port,
    int maxAuthTries,
    long loginGraceTime,
    String maxStartups,
    int maxSessions,
    long clientAliveInterval,
    int clientAliveCountMax,
    boolean allowTcpForwarding,
    String banner,
    List<String> allowGroups,
    int minModuliBits,
    List<String> trustedCidrs,
    int fail2banMaxRetry,
    long fail2banFindTime,
    long fail2banBanTime,
    long fail2banRecidiveBanTime,
    List<String> kexAlgorithms,
    List<String> ciphers,
    List<String> macs,
    List<String> hostKeyAlgorithms) {

  private static final Pattern MAX_STARTUPS = Pattern.compile("\\d{1,4}(:\\d{1,3}:\\d{1,4})?");
  private static final Pattern ABSOLUTE_PATH = Pattern.compile("/[A-Za-z0-9._/-]{1,255}");
  private static final Pattern ALGORITHM = Pattern.compile("[a-z0-9@.+-]{3,64}");

  static Hardening from(Params p) {
    return new Hardening(
        p.integer("hardening.port", 22, 1, 65535),
        p.integer("hardening.maxAuthTries", 3, 1, 6),
        p.seconds("hardening.loginGraceTime", 30, 5, 120),
        p.matching(
            "hardening.maxStartups",
            "10:30:60",
            MAX_STARTUPS,
            "start:rate:full (for example 10:30:60) or a number"),
        p.integer("hardening.maxSessions", 10, 1, 10),
        p.seconds("hardening.clientAliveInterval", 300, 1, 3600),
        p.integer("hardening.clientAliveCountMax", 3, 0, 10),
        p.bool("hardening.allowTcpForwarding", false),
        p.matching(
            "hardening.banner", "", ABSOLUTE_PATH, "an absolute path such as /etc/issue.net"),
        p.localNames("hardening.allowGroups", List.of()),
        p.integer("hardening.minModuliBits", 3071, 2047, 8191),
        p.cidrs("hardening.trustedCidrs", List.of()),
        p.integer("hardening.fail2banMaxRetry", 3, 1, 20),
        p.seconds("hardening.fail2banFindTime", 600, 60, 86400),
        p.seconds("hardening.fail2banBanTime", 3600, 60, 2419200),
        p.seconds("hardening.fail2banRecidiveBanTime", 604800, 3600, 31536000),
        algorithms(p, "hardening.kexAlgorithms"),
        algorithms(p, "hardening.ciphers"),
        algorithms(p, "hardening.macs"),
        algorithms(p, "hardening.hostKeyAlgorithms"));
  }

  private static List<String> algorithms(Params p, String path) {
    return p.list(path, List.of(), s -> ALGORITHM.matcher(s).matches(), "OpenSSH algorithm names");
  }

  /** The template view (contracts.md): algorithm overrides are folded into {@code sshd.*}. */
  public Map<String, Object> toTemplateMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("port", port);
    m.put("maxAuthTries", maxAuthTries);
    m.put("loginGraceTime", loginGraceTime);
    m.put("maxStartups", maxStartups);
    m.put("maxSessions", maxSessions);
    m.put("clientAliveInterval", clientAliveInterval);
    m.put("clientAliveCountMax", clientAliveCountMax);
    m.put("allowTcpForwarding", allowTcpForwarding);
    m.put("banner", banner);
    m.put("allowGroups", allowGroups);
    m.put("minModuliBits", minModuliBits);
    m.put("trustedCidrs", trustedCidrs);
    m.put("fail2banMaxRetry", fail2banMaxRetry);
    m.put("fail2banFindTime", fail2banFindTime);
    m.put("fail2banBanTime", fail2banBanTime);
    m.put("fail2banRecidiveBanTime", fail2banRecidiveBanTime);
    return m;
  }
}
