package dev.kiln.probe;

import dev.kiln.check.LiveView;
import dev.kiln.probe.Ssh.Attempt;
import dev.kiln.probe.Ssh.Kind;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;

/**
 * What every control shares: the target, the settings, the IAM test users and their keys, and the
 * harness's ways to log in. Logins of authorized users come from the {@code user} source only;
 * everything meant to fail comes from the {@code probe} source (which the harness unbans when
 * fail2ban catches it, and retries: a refused connection is never taken for a refused login).
 */
final class ProbeContext {
  static final String USER = "kiln-probe-user";
  static final String ADMIN = "kiln-probe-admin";
  static final String INACTIVE = "kiln-probe-inactive";
  static final String DELETED = "kiln-probe-deleted";
  static final String GONE = "kiln-probe-gone";
  static final String ROOT = "root";

  private final Target t;
  private final ProbeSettings cfg;
  private final Consumer<String> log;
  private final Map<String, Ssh.Key> keys = new LinkedHashMap<>();
  private final Map<String, String> keyIds = new LinkedHashMap<>();
  private String loginGroup;
  private String sudoGroup;
  private String nonSudoGroup;
  private volatile String candidateHostKey;

  /** Login names: the test users, or one existing user for both roles (AWS). */
  private String user = USER;

  private String admin = ADMIN;
  private volatile boolean existing;

  ProbeContext(Target target, ProbeSettings settings, Consumer<String> log) {
    this.t = target;
    this.cfg = settings;
    this.log = log;
  }

  Target target() {
    return t;
  }

  ProbeSettings settings() {
    return cfg;
  }

  /** The IAM user that logs in normally: {@link #USER}, or the configured existing user. */
  String user() {
    return user;
  }

  /** Whether the probes log in as one existing IAM user and make no IAM changes (not sandbox). */
  boolean existing() {
    return existing;
  }

  /** An authorized IAM group to put test users in (null: every IAM user is authorized). */
  String loginGroup() {
    return loginGroup;
  }

  String sudoGroup() {
    return sudoGroup;
  }

  String nonSudoGroup() {
    return nonSudoGroup;
  }

  Ssh.Key key(String name) {
    return keys.get(name);
  }

  String keyId(String name) {
    return keyIds.get(name);
  }

  /** The host key the candidate offered to the first login ({@code iam-key-login}), or null. */
  String candidateHostKey() {
    return candidateHostKey;
  }

  void candidateHostKey(String key) {
    candidateHostKey = key;
  }

  /** Creates the IAM test users and syncs them (sandbox), or takes the configured existing user. */
  void setUp() throws KilnException {
    if (!t.createsIamUsers()) {
      if (cfg.existingUser() == null || cfg.existingKey() == null) {
        throw new KilnException(
            "verify.iamUser",
            "probing a candidate outside the sandbox needs an existing IAM user in an authorized group"
                + " and its private key: <verify><iamUser> and <verify><keyFile>"
                + " (-Dkiln.verify.iamUser, -Dkiln.verify.keyFile)",
            List.of(),
            null);
      }
      existing = true;
      user = cfg.existingUser();
      admin = cfg.existingUser();
      keys.put(user, cfg.existingKey());
      log.accept("  probing as the existing IAM user " + user + " (no IAM changes are made)");
      return;
    }
    List<String> groups = cfg.iamGroups();
    nonSudoGroup =
        groups.stream().filter(g -> !cfg.sudoGroups().contains(g)).findFirst().orElse(null);
    sudoGroup =
        cfg.sudoGroups().stream()
            .filter(g -> groups.isEmpty() || groups.contains(g))
            .findFirst()
            .orElse(null);
    loginGroup = nonSudoGroup != null ? nonSudoGroup : groups.isEmpty() ? sudoGroup : groups.get(0);
    IamClient iam = t.iam();
    try {
      List<String> all = new ArrayList<>(groups);
      cfg.sudoGroups()
          .forEach(
              g -> {
                if (!all.contains(g)) all.add(g);
              });
      for (String g : all) {
        try {
          iam.getGroup(r -> r.groupName(g));
        } catch (NoSuchEntityException e) {
          iam.createGroup(r -> r.groupName(g));
        }
      }
      createUser(USER, loginGroup);
      createUser(ADMIN, sudoGroup);
      createUser(INACTIVE, loginGroup);
      createUser(DELETED, loginGroup);
      createUser(GONE, loginGroup);
      createUser(ROOT, loginGroup);
    } catch (SdkException e) {
      throw new KilnException("cannot create the IAM test users: " + e.getMessage(), e);
    }
    String sync = sync();
    log.accept("  IAM test users created and synced to the candidate");
    if (sync != null && !sync.isBlank()) {
      log.accept("  sync-users: " + sync.strip().lines().reduce((a, b) -> b).orElse(""));
    }
  }

  private void createUser(String name, String group) {
    IamClient iam = t.iam();
    try {
      iam.getUser(r -> r.userName(name));
      for (var k : iam.listSSHPublicKeys(r -> r.userName(name)).sshPublicKeys()) {
        iam.deleteSSHPublicKey(r -> r.userName(name).sshPublicKeyId(k.sshPublicKeyId()));
      }
    } catch (NoSuchEntityException e) {
      iam.createUser(r -> r.userName(name));
    }
    if (group != null) {
      iam.addUserToGroup(r -> r.userName(name).groupName(group));
    }
    Ssh.Key key = Ssh.newKey(name + "@kiln-probe");
    keys.put(name, key);
    keyIds.put(
        name,
        iam.uploadSSHPublicKey(r -> r.userName(name).sshPublicKeyBody(key.publicLine()))
            .sshPublicKey()
            .sshPublicKeyId());
  }

  /** Runs the IAM user sync on the candidate; its output, or null where it cannot. */
  String sync() throws KilnException {
    Optional<String[]> r =
        t.rootExec(
            "/usr/libexec/kiln/sync-users --config /etc/kiln/access.json 2>&1; echo \"exit=$?\"");
    return r.map(x -> x[1]).orElse(null);
  }

  /**
   * An attempt meant to fail, from the probe source: a connection that did not happen is retried.
   */
  Attempt negative(Supplier<Attempt> a) throws KilnException {
    String probe = t.sourceAddress("probe");
    return Retry.untilConnected(4, 300, a, failed -> t.unban(probe));
  }

  /** A key login of {@code name} (a test user) from {@code source}. */
  Attempt login(String source, String name) throws KilnException {
    return Ssh.withKey(t.host(), t.port(source), name, keys.get(name));
  }

  /**
   * Runs {@code command} in a session of the sudo-capable user (the admin, or the existing user).
   */
  Ssh.Exec asAdmin(String command) throws Exception {
    Attempt a = login("user", admin);
    try {
      if (a.kind() != Kind.LOGGED_IN) {
        throw new IOException(admin + " could not log in: " + a.detail());
      }
      return Ssh.run(a.session(), command);
    } finally {
      a.close();
    }
  }

  /** Whether {@link #rootShell} can run: the target's root shell, or sudo of the admin user. */
  boolean hasRootShell() throws Exception {
    return t.rootExec("true").isPresent() || asAdmin("sudo -n true").exit() == 0;
  }

  /** Runs a shell command as root: the target's root shell, else sudo over SSH. Exit and output. */
  String[] rootShell(String shell) throws Exception {
    Optional<String[]> r = t.rootExec(shell);
    if (r.isPresent()) {
      return r.get();
    }
    Ssh.Exec e = asAdmin("sudo -n sh -c " + LiveView.quote(shell));
    return new String[] {Integer.toString(e.exit()), e.out()};
  }

  /** The source address for sshd -T -C: the real one when known, else a documentation address. */
  String matchAddress() throws KilnException {
    String a = t.sourceAddress("user");
    return a.matches("[0-9.]+|[0-9a-fA-F:]+") ? a : "192.0.2.10";
  }

  /** {@link Target#port} for lambdas that cannot throw. */
  int portQuiet(String source) {
    try {
      return t.port(source);
    } catch (KilnException e) {
      throw new IllegalStateException(e);
    }
  }
}
