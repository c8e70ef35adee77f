package dev.kiln.spec;

import java.util.List;

/** The {@link ParameterTable}'s rows of the top level and of {@code <hardening>}. */
final class ParameterRowsImage extends ParameterRows {
  /** Adds the rows, in the table's order. */
  ParameterRowsImage() {
    topLevel();
    hardening();
  }

  private void topLevel() {
    // Top level.
    p("skip", Types.bool(), "false", "Skips every Kiln goal.");
    auto(
        "cloud",
        Types.oneOf(CloudSettings.NAMES.toArray(String[]::new)),
        "aws when AWS credentials are configured, else sandbox",
        "Where images are baked and launched.");
    auto(
        "recipes",
        Types.list(
            Types.pattern(
                "[a-z0-9][a-z0-9.-]{0,39}", "a recipe id such as debian-12", "Debian", "-x")),
        "every recipe",
        "Recipe ids: al2023, ubuntu-24.04, ubuntu-22.04, debian-12, rhel-9, or your own.");
    auto(
        "templatesDir",
        PathTypes.existingDirectory(),
        "none",
        "Your templates; a file overrides the built-in one of the same relative name.");
    auto(
        "recipesDir",
        PathTypes.existingDirectory(),
        "none",
        "Your recipes (<id>.yaml), checked against recipe.schema.json.");
    p(
        "outputDir",
        PathTypes.writableDirectory(),
        "target/kiln",
        "Where Kiln writes bundles, reports and bake.json.");
    auto(
        "runId",
        Types.pattern("[a-z0-9-]{1,64}", "lowercase letters, digits and -, at most 64", "Run1"),
        "generated per run",
        "The kiln:run-id tag of everything a bake or launch creates in a cloud.");
    for (String goal :
        List.of(
            "render",
            "validate",
            "bake",
            "launch",
            "verify",
            "terminate",
            "prune",
            "policy",
            "publish",
            "rollout",
            "rollback")) {
      p(goal + ".skip", Types.bool(), "false", "Skips kiln:" + goal + ".");
    }
  }

  private void hardening() {
    // <hardening>: sshd and fail2ban (defaults: docs/hardening.md).
    p("hardening.port", Types.integer(1, 65535), "22", "The SSH port.");
    p("hardening.maxAuthTries", Types.integer(1, 6), "3", "sshd's MaxAuthTries.");
    p("hardening.loginGraceTime", durationS(5, 120), "30s", "sshd's LoginGraceTime.");
    p(
        "hardening.maxStartups",
        Types.maxStartups(),
        "10:30:60",
        "sshd's MaxStartups: unauthenticated connections before sshd drops new ones.");
    p("hardening.maxSessions", Types.integer(1, 10), "10", "sshd's MaxSessions.");
    p("hardening.clientAliveInterval", durationS(1, 3600), "300s", "sshd's ClientAliveInterval.");
    p("hardening.clientAliveCountMax", Types.integer(0, 10), "3", "sshd's ClientAliveCountMax.");
    for (String kind : List.of("kexAlgorithms", "ciphers", "macs", "hostKeyAlgorithms")) {
      auto(
          "hardening." + kind,
          Types.list(
              Types.pattern("[a-z0-9@.+-]{3,64}", "an OpenSSH algorithm name", "AES256", "x")),
          "the recipe's",
          "sshd's "
              + kind.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
              + kind.substring(1)
              + ": a subset of what Kiln allows with the recipe's OpenSSH version.");
    }
    p(
        "hardening.allowTcpForwarding",
        Types.bool(),
        "false",
        "Re-allows TCP forwarding (bastions).");
    auto(
        "hardening.banner",
        Types.withBad(
            Types.oneOf("/etc/issue.net", "/etc/issue", "none"),
            "/etc/shadow",
            "/proc/self/environ",
            "/etc/issue.net/../shadow"),
        "none; /etc/issue.net with bannerText",
        "The file sshd sends before authentication.");
    p(
        "hardening.bannerText",
        Types.text(2000),
        null,
        "none",
        "Text Kiln renders to /etc/issue.net and sshd sends before authentication.",
        V020);
    auto(
        "hardening.allowGroups",
        Types.list(
            Types.pattern(
                "[a-z_][a-z0-9_-]{0,31}",
                "a Linux group name ([a-z_][a-z0-9_-]*, at most 32 characters)",
                "Admins")),
        "none",
        "Local groups allowed to log in besides the IAM marker group.");
    p(
        "hardening.minModuliBits",
        Types.integer(2047, 8191),
        "3071",
        "Smallest Diffie-Hellman group kept in /etc/ssh/moduli.");
    auto(
        "hardening.trustedCidrs",
        Types.list(Cidr.trusted()),
        "none",
        "Management networks: fail2ban never bans them; launch opens SSH only to them.");
    p("hardening.fail2banMaxRetry", Types.integer(1, 20), "3", "fail2ban's maxretry.");
    p("hardening.fail2banFindTime", durationS(60, 86400), "10m", "fail2ban's findtime.");
    p(
        "hardening.fail2banBanTime",
        durationS(60, 2419200),
        "1h",
        "fail2ban's bantime, doubled for each repeated offence.");
    p(
        "hardening.fail2banRecidiveBanTime",
        durationS(3600, 31536000),
        "1w",
        "The bantime of fail2ban's recidive jail.");
  }
}
