package dev.kiln.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code <hardening>} element, validated. Defaults are the table's; durations are seconds; an
 * empty banner is none. Algorithm overrides are checked per recipe by {@link SshdAlgorithms}.
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
    String bannerText,
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

  static Hardening from(ParameterValues v, List<InvalidParametersException.Problem> problems) {
    String text = v.string("hardening.bannerText");
    String banner = v.string("hardening.banner");
    if (text != null && banner != null && !"/etc/issue.net".equals(banner)) {
      problems.add(
          new InvalidParametersException.Problem(
              "hardening.banner",
              banner,
              "/etc/issue.net or no value when <hardening><bannerText> is set (Kiln renders the"
                  + " text to /etc/issue.net)"));
    }
    if (banner == null) {
      banner = text != null ? "/etc/issue.net" : "none";
    }
    return new Hardening(
        v.integer("hardening.port"),
        v.integer("hardening.maxAuthTries"),
        v.seconds("hardening.loginGraceTime"),
        v.string("hardening.maxStartups"),
        v.integer("hardening.maxSessions"),
        v.seconds("hardening.clientAliveInterval"),
        v.integer("hardening.clientAliveCountMax"),
        v.bool("hardening.allowTcpForwarding"),
        "none".equals(banner) ? "" : banner,
        text == null ? "" : text,
        v.strings("hardening.allowGroups"),
        v.integer("hardening.minModuliBits"),
        v.strings("hardening.trustedCidrs"),
        v.integer("hardening.fail2banMaxRetry"),
        v.seconds("hardening.fail2banFindTime"),
        v.seconds("hardening.fail2banBanTime"),
        v.seconds("hardening.fail2banRecidiveBanTime"),
        v.strings("hardening.kexAlgorithms"),
        v.strings("hardening.ciphers"),
        v.strings("hardening.macs"),
        v.strings("hardening.hostKeyAlgorithms"));
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
    m.put("bannerText", bannerText);
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
