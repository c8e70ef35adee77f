package dev.kiln.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The ways into an instance besides IAM keys, each off unless asked for: a break-glass account that
 * logs in with SSH certificates of one CA ({@code <access><breakGlass>}), EC2 Instance Connect's
 * keys chained after the IAM keys ({@code <access><instanceConnect>}), and the SSM agent ({@code
 * <access><sessionManager>}).
 *
 * @param breakGlass null when {@code <access><breakGlass><caPublicKey>} is not set
 * @param instanceConnect {@code off} or {@code chain}
 * @param sessionManager whether the SSM agent is kept (or installed) and enabled
 */
public record WaysIn(BreakGlass breakGlass, String instanceConnect, boolean sessionManager) {

  /**
   * The break-glass account.
   *
   * @param user the local account (and the certificate principal it accepts)
   * @param caKey the CA's public key, as it is written to the image
   * @param caFingerprint {@code SHA256:...} of the CA key
   * @param sudo whether the account gets passwordless sudo
   */
  public record BreakGlass(String user, String caKey, String caFingerprint, boolean sudo) {}

  public static final String CA = "access.breakGlass.caPublicKey";
  public static final String USER = "access.breakGlass.user";
  public static final String SUDO = "access.breakGlass.sudo";
  public static final String INSTANCE_CONNECT = "access.instanceConnect";
  public static final String SESSION_MANAGER = "access.sessionManager";

  /** The account name when {@code <user>} is not given. */
  public static final String DEFAULT_USER = "kiln-breakglass";

  private static final Pattern USER_NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
  public static final String CA_KEY = "verify.breakGlassCaKey";
  private static final long MAX_CA_FILE = 16 * 1024;

  /**
   * Accounts a base image or its agents own (root, system accounts, cloud login users, the SSM and
   * Instance Connect users) and Kiln's own: the break-glass account may not be any of them.
   */
  static final Set<String> RESERVED =
      Set.of(
          "root",
          "daemon",
          "bin",
          "sys",
          "sync",
          "games",
          "man",
          "lp",
          "mail",
          "news",
          "uucp",
          "proxy",
          "www-data",
          "backup",
          "list",
          "irc",
          "gnats",
          "nobody",
          "nogroup",
          "sshd",
          "messagebus",
          "syslog",
          "systemd-network",
          "systemd-resolve",
          "systemd-timesync",
          "systemd-journal",
          "_apt",
          "apt",
          "adm",
          "halt",
          "shutdown",
          "operator",
          "ftp",
          "polkitd",
          "chrony",
          "tss",
          "dbus",
          "sudo",
          "wheel",
          "staff",
          "users",
          "admin",
          "ec2-user",
          "ubuntu",
          "debian",
          "centos",
          "fedora",
          "rocky",
          "almalinux",
          "cloud-user",
          "ssm-user",
          "ec2-instance-connect",
          "kiln-keys",
          "kiln-iam");

  /** The CA file: one OpenSSH public key line, read and checked when the parameter is parsed. */
  static ValueType caPublicKey() {
    return new Types.Simple(
        "an existing file with one OpenSSH public key line, as ssh-keygen writes ca.pub (no"
            + " options, no certificate, no DSA, RSA of at least 3072 bits)",
        List.of("/dev/null", "/etc/passwd", "."),
        (t, b) -> {
          Path f = (Path) PathTypes.existingFile().parse(t, b);
          try {
            if (Files.size(f) > MAX_CA_FILE) {
              throw new ValueType.Invalid("the file is larger than 16 KiB");
            }
            return SshPublicKey.parseFile(
                new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
          } catch (IOException e) {
            throw new ValueType.Invalid("unreadable: " + e.getMessage());
          } catch (SshPublicKey.Invalid e) {
            throw new ValueType.Invalid("the file " + e.getMessage());
          }
        });
  }

  /** The account name: a Linux user name that no image, agent or Kiln itself owns. */
  static ValueType accountName() {
    return new Types.Simple(
        "a Linux user name ([a-z_][a-z0-9_-]*, at most 32 characters) of its own: not root, a"
            + " system account, a cloud login user, ssm-user or one of Kiln's",
        List.of("root", "daemon", "sshd", "ssm-user", "kiln-keys", "ec2-user", "Root", "-o", "a b"),
        (t, b) -> {
          if (!USER_NAME.matcher(t).matches()) {
            throw new ValueType.Invalid(null);
          }
          if (RESERVED.contains(t)) {
            throw new ValueType.Invalid(t + " is taken");
          }
          return t;
        });
  }

  static WaysIn from(ParameterValues v, List<InvalidParametersException.Problem> problems) {
    BreakGlass bg = null;
    if (v.isSet(CA)) {
      SshPublicKey key = (SshPublicKey) v.get(CA);
      String name = v.string(USER);
      if (name.equals(v.string("access.markerGroup"))) {
        problems.add(
            new InvalidParametersException.Problem(
                USER, name, "a name other than <access><markerGroup>'s (" + name + " is taken)"));
      }
      bg = new BreakGlass(name, key.line(name + "-ca"), key.fingerprint(), v.bool(SUDO));
    } else {
      // Without the CA nothing of break-glass exists: a lone <user> or <sudo> is a mistake.
      for (String path : List.of(USER, SUDO)) {
        if (v.isSet(path)) {
          problems.add(
              new InvalidParametersException.Problem(
                  path,
                  v.string(path),
                  "to be set only together with <access><breakGlass><caPublicKey>"));
        }
      }
    }
    return new WaysIn(bg, v.string(INSTANCE_CONNECT), v.bool(SESSION_MANAGER));
  }

  /** Checks that need the recipe: the account is not its login user; chain needs its helper. */
  void checkRecipe(List<InvalidParametersException.Problem> p, Recipe r) {
    if (breakGlass != null && breakGlass.user().equals(r.data().get("loginUser"))) {
      p.add(
          new InvalidParametersException.Problem(
              USER,
              breakGlass.user(),
              "a name other than recipe " + r.id() + "'s login user " + r.data().get("loginUser")));
    }
    if (sessionManager && !(r.data().get("sessionManager") instanceof Map<?, ?>)) {
      p.add(
          new InvalidParametersException.Problem(
              SESSION_MANAGER,
              "true",
              "false for recipe "
                  + r.id()
                  + ", which does not say how to get the SSM agent (recipe key sessionManager)"));
    }
    if (instanceConnect.equals("chain") && helper(r) == null) {
      p.add(
          new InvalidParametersException.Problem(
              INSTANCE_CONNECT,
              instanceConnect,
              "off for recipe "
                  + r.id()
                  + ", which names no Instance Connect helper (recipe key instanceConnect.helper)"));
    }
  }

  /**
   * What the key command reads from access.json for this recipe: with chain mode, {@code
   * instanceConnect: {mode: chain, helper: <the recipe's helper>}}; else nothing (so images without
   * it have today's access.json byte for byte).
   */
  public Map<String, Object> accessJson(Recipe r) {
    if (!instanceConnect.equals("chain") || helper(r) == null) {
      return Map.of();
    }
    Map<String, Object> ic = new LinkedHashMap<>();
    ic.put("helper", helper(r));
    ic.put("mode", "chain");
    return Map.of("instanceConnect", ic);
  }

  /** The recipe's Instance Connect helper, or null. */
  static String helper(Recipe r) {
    return r.data().get("instanceConnect") instanceof Map<?, ?> m && m.get("helper") != null
        ? m.get("helper").toString()
        : null;
  }

  /**
   * The template variable {@code waysIn}: {@code breakGlass} (false or user, caKey, caFingerprint,
   * sudo), {@code instanceConnect}, {@code sessionManager}.
   */
  public Map<String, Object> toTemplateMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (breakGlass == null) {
      // false, not null: jinjava in strict mode takes a null value for an unknown variable
      m.put("breakGlass", false);
    } else {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("user", breakGlass.user());
      b.put("caKey", breakGlass.caKey());
      b.put("caFingerprint", breakGlass.caFingerprint());
      b.put("sudo", breakGlass.sudo());
      m.put("breakGlass", b);
    }
    m.put("instanceConnect", instanceConnect);
    m.put("sessionManager", sessionManager);
    return m;
  }
}
