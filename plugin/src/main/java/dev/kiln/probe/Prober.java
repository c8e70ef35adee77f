package dev.kiln.probe;

import dev.kiln.check.EffectiveSshd;
import dev.kiln.check.Finding;
import dev.kiln.probe.Control.Outcome;
import dev.kiln.probe.Ssh.Attempt;
import dev.kiln.probe.Ssh.Kind;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
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
import software.amazon.awssdk.services.iam.model.StatusType;

/**
 * Attacks a running candidate from outside, control by control, and says what it saw. Logins of
 * authorized users come from the {@code user} source only; everything meant to fail comes from the
 * {@code probe} source (which the harness unbans when fail2ban catches it, and retries: a refused
 * connection is never taken for a refused login); the fail2ban control alone uses {@code attacker}.
 */
public final class Prober {
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
  private final List<Control> out = java.util.Collections.synchronizedList(new ArrayList<>());
  private String loginGroup;
  private String sudoGroup;
  private String nonSudoGroup;
  private String candidateHostKey;

  /** Login names: the test users, or one existing user for both roles (AWS). */
  private String user = USER;

  private String admin = ADMIN;
  private boolean existing;

  public Prober(Target target, ProbeSettings settings, Consumer<String> log) {
    this.t = target;
    this.cfg = settings;
    this.log = log;
  }

  /** Runs every control; never throws for a control that fails, only for a broken harness. */
  public List<Control> run() throws KilnException {
    return run(null, null);
  }

  /** Something done to the candidate between the set-up and the controls (tests inject faults). */
  public interface Hook {
    void run(Target target) throws Exception;
  }

  private java.util.Set<String> only;

  /**
   * Runs the controls named in {@code only} (null: all), calling {@code afterSetUp} once the IAM
   * test users exist in the candidate.
   */
  public List<Control> run(java.util.Set<String> only, Hook afterSetUp) throws KilnException {
    this.only = only;
    setUp();
    if (afterSetUp != null) {
      try {
        afterSetUp.run(t);
      } catch (Exception e) {
        throw new KilnException("the hook after set-up failed: " + e.getMessage(), e);
      }
    }
    t.ignoreInFail2ban(t.sourceAddress("probe"), true);
    try {
      controls();
    } finally {
      t.ignoreInFail2ban(t.sourceAddress("probe"), false);
    }
    List<Control> sorted = new ArrayList<>(out);
    sorted.sort(java.util.Comparator.comparingInt(c -> ORDER.indexOf(c.id())));
    return List.copyOf(sorted);
  }

  /** The report's order of the controls. */
  static final List<String> ORDER =
      List.of(
          "iam-key-login",
          "sudo-group-only",
          "sshd-effective-config",
          LiveViewProbe.ID,
          "root-password-locked",
          "host-keys-unique",
          "root-login-refused",
          "password-auth-refused",
          "iam-key-inactive",
          "iam-key-deleted",
          "iam-group-removal",
          "fail2ban-ban",
          "ssh-audit",
          // Last: it cuts the candidate off IAM, and the key command remembers that failure for a
          // few seconds, so a control after it would see the outage instead of what it checks.
          BreakGlassProbe.ID);

  private void controls() throws KilnException {
    control(
        "iam-key-login",
        "An IAM user in the authorized group logs in with an Active key",
        "login succeeds for " + USER + " with its Active IAM key",
        this::activeKey);
    control(
        "sudo-group-only",
        "sudo works for the sudo group and only for it",
        ADMIN + " (sudo group) runs sudo -n; " + USER + " (not in a sudo group) is refused",
        this::sudo);
    control(
        "sshd-effective-config",
        "The effective sshd configuration (sshd -T) meets hardening.md",
        "sshd -t exits 0 and every sshd control of hardening.md holds in sshd -T",
        this::sshdEffective);
    control(LiveViewProbe.ID, LiveViewProbe.TITLE, LiveViewProbe.EXPECTED, this::liveView);
    control(
        "root-password-locked",
        "Root's shadow field is locked and pwck -r is clean",
        "root's password field is '*' or starts with '!', passwd -S shows L, pwck -r and grpck -r exit 0",
        this::shadow);
    control(
        "host-keys-unique",
        "Host keys are generated per boot, never baked into the image",
        "the candidate's ed25519 host key differs from another boot's",
        this::hostKeys);
    control(
        "root-login-refused",
        "Root cannot log in over SSH",
        "root is refused with a password and with a key uploaded to an IAM user named root",
        this::rootLogin);
    control(
        "password-auth-refused",
        "Password and keyboard-interactive authentication are refused",
        "every user is refused with password and keyboard-interactive",
        this::passwords);
    // The two revocations wait out the key cache TTL: run them side by side (different users).
    Thread deleted =
        new Thread(
            () ->
                control(
                    "iam-key-deleted",
                    "A key deleted from IAM stops working within the key cache TTL",
                    "refused within keyCacheTtl ("
                        + cfg.keyCacheTtl()
                        + " s) after DeleteSSHPublicKey",
                    () -> revoked(DELETED, true)),
            "kiln-probe-deleted");
    deleted.start();
    control(
        "iam-key-inactive",
        "A key set Inactive in IAM stops working within the key cache TTL",
        "refused within keyCacheTtl ("
            + cfg.keyCacheTtl()
            + " s) after UpdateSSHPublicKey Inactive",
        () -> revoked(INACTIVE, false));
    try {
      deleted.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KilnException("interrupted", e);
    }
    control(
        "iam-group-removal",
        "A user removed from the authorized group loses access",
        "after RemoveUserFromGroup and a sync run the user is refused",
        this::groupRemoval);
    control(
        "fail2ban-ban",
        "fail2ban bans a source after maxretry failures, and only that source",
        "after "
            + cfg.maxRetry()
            + " failures the attacker's connections are refused and its address"
            + " is in the nftables ruleset, while the user's source still logs in",
        this::fail2ban);
    control(
        "ssh-audit",
        "ssh-audit reports no failure",
        "no [fail] line in ssh-audit's report of the candidate",
        this::sshAudit);
    // Last (see ORDER): the IAM outage it makes must not reach another control.
    control(
        BreakGlassProbe.ID,
        BreakGlassProbe.TITLE,
        BreakGlassProbe.EXPECTED,
        () -> new BreakGlassProbe(t, cfg.breakGlass(), harness()).run());
  }

  // --- harness ---------------------------------------------------------------------------------

  /** A probe's result before timing: outcome, observed, evidence. */
  record R(Outcome outcome, String observed, String evidence) {
    static R pass(String observed, String evidence) {
      return new R(Outcome.PASS, observed, evidence);
    }

    static R fail(String observed, String evidence) {
      return new R(Outcome.FAIL, observed, evidence);
    }

    static R skip(String why) {
      return new R(Outcome.SKIPPED, why, "");
    }
  }

  interface Probe {
    R run() throws Exception;
  }

  private void control(String id, String title, String expected, Probe p) {
    if (only != null && !only.contains(id)) {
      return;
    }
    long t0 = System.nanoTime();
    R r;
    try {
      r = p.run();
    } catch (Exception e) {
      r = R.fail("the probe could not run: " + e.getMessage(), String.valueOf(e));
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    Control c = new Control(id, title, expected, r.observed(), r.outcome(), r.evidence(), ms);
    out.add(c);
    log.accept(String.format("  %-7s %-24s %s (%d ms)", c.outcome(), id, c.observed(), ms));
  }

  private void setUp() throws KilnException {
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
      user(USER, loginGroup);
      user(ADMIN, sudoGroup);
      user(INACTIVE, loginGroup);
      user(DELETED, loginGroup);
      user(GONE, loginGroup);
      user(ROOT, loginGroup);
    } catch (SdkException e) {
      throw new KilnException("cannot create the IAM test users: " + e.getMessage(), e);
    }
    String sync = sync();
    log.accept("  IAM test users created and synced to the candidate");
    if (sync != null && !sync.isBlank()) {
      log.accept("  sync-users: " + sync.strip().lines().reduce((a, b) -> b).orElse(""));
    }
  }

  private BreakGlassProbe.Harness harness() {
    return new BreakGlassProbe.Harness() {
      @Override
      public Attempt negative(Supplier<Attempt> a) throws KilnException {
        return Prober.this.negative(a);
      }

      @Override
      public String sync() throws KilnException {
        return Prober.this.sync();
      }

      @Override
      public String loginGroup() {
        return loginGroup;
      }

      @Override
      public String iamUser() {
        return user;
      }
    };
  }

  private void user(String name, String group) {
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

  private String sync() throws KilnException {
    Optional<String[]> r =
        t.rootExec(
            "/usr/libexec/kiln/sync-users --config /etc/kiln/access.json 2>&1; echo \"exit=$?\"");
    return r.map(x -> x[1]).orElse(null);
  }

  /**
   * An attempt meant to fail, from the probe source: a connection that did not happen is retried.
   */
  private Attempt negative(Supplier<Attempt> a) throws KilnException {
    Attempt last = null;
    for (int i = 0; i < 4; i++) {
      last = a.get();
      if (last.kind() != Kind.NO_CONNECTION) {
        return last;
      }
      t.unban(t.sourceAddress("probe"));
      sleep(300);
    }
    return last;
  }

  private Attempt login(String source, String user) throws KilnException {
    return Ssh.withKey(t.host(), t.port(source), user, keys.get(user));
  }

  // --- controls --------------------------------------------------------------------------------

  private R activeKey() throws Exception {
    Attempt a = login("user", user);
    try {
      if (a.kind() != Kind.LOGGED_IN) {
        return R.fail(
            user + " could not log in: " + a.detail(), "key " + keys.get(user).fingerprint());
      }
      candidateHostKey = a.hostKey();
      Ssh.Exec id = Ssh.run(a.session(), "id; hostname");
      return R.pass("logged in as " + user, id.all());
    } finally {
      a.close();
    }
  }

  private R sudo() throws Exception {
    if (existing) {
      Ssh.Exec e = asAdmin("sudo -n true");
      return R.skip(
          "with one existing user only its own sudo can be seen (sudo -n true: exit "
              + e.exit()
              + "); 'only the sudo group' needs the sandbox's test users");
    }
    if (sudoGroup == null) {
      return R.skip("no <access><sudoGroups> among the authorized groups: nothing to test");
    }
    StringBuilder ev = new StringBuilder();
    Attempt a = login("user", ADMIN);
    try {
      if (a.kind() != Kind.LOGGED_IN) {
        return R.fail(ADMIN + " could not log in: " + a.detail(), "");
      }
      Ssh.Exec e = Ssh.run(a.session(), "sudo -n true");
      ev.append(ADMIN)
          .append(": sudo -n true → exit ")
          .append(e.exit())
          .append(' ')
          .append(e.all())
          .append('\n');
      if (e.exit() != 0) {
        return R.fail(ADMIN + " (in " + sudoGroup + ") cannot use sudo", ev.toString());
      }
    } finally {
      a.close();
    }
    if (nonSudoGroup == null) {
      return R.pass(
          ADMIN + " uses sudo; no authorized group without sudo to test the refusal",
          ev.toString());
    }
    Attempt b = login("user", USER);
    try {
      if (b.kind() != Kind.LOGGED_IN) {
        return R.fail(USER + " could not log in: " + b.detail(), ev.toString());
      }
      Ssh.Exec e = Ssh.run(b.session(), "sudo -n true");
      ev.append(USER).append(": sudo -n true → exit ").append(e.exit()).append(' ').append(e.all());
      if (e.exit() == 0) {
        return R.fail(
            USER + " (in " + nonSudoGroup + ", not a sudo group) can use sudo", ev.toString());
      }
      return R.pass(ADMIN + " uses sudo, " + USER + " is refused", ev.toString());
    } finally {
      b.close();
    }
  }

  private Ssh.Exec asAdmin(String command) throws Exception {
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

  private R sshdEffective() throws Exception {
    if (!existing && sudoGroup == null) {
      return R.skip("needs a sudo group to read sshd -T");
    }
    if (existing && asAdmin("sudo -n true").exit() != 0) {
      return R.skip("the configured IAM user has no sudo: cannot read sshd -T");
    }
    Ssh.Exec test = asAdmin("sudo -n /usr/sbin/sshd -t");
    if (test.exit() != 0) {
      return R.fail("sshd -t rejects the configuration (exit " + test.exit() + ")", test.all());
    }
    Ssh.Exec eff =
        asAdmin(
            "sudo -n /usr/sbin/sshd -T -C user="
                + user
                + ",host=probe.example,addr="
                + matchAddress());
    if (eff.exit() != 0) {
      return R.fail("sshd -T failed (exit " + eff.exit() + ")", eff.all());
    }
    if (cfg.expected() == null) {
      return R.skip("no rendered bundle to compare with");
    }
    List<Finding> findings = EffectiveSshd.check(cfg.expected(), eff.out());
    String summary = summary(eff.out());
    if (findings.isEmpty()) {
      return R.pass("every sshd control holds", summary);
    }
    StringBuilder b = new StringBuilder();
    for (Finding f : findings) {
      b.append(f.describe()).append('\n');
    }
    String first = findings.get(0).check().replace("sshd.", "");
    return R.fail(
        findings.size()
            + " sshd control(s) violated, first: "
            + first
            + " — "
            + findings.get(0).message(),
        b + "\n" + summary);
  }

  private R liveView() throws Exception {
    if (!existing && sudoGroup == null && t.rootExec("true").isEmpty()) {
      return R.skip("needs a root shell to read sshd's command line");
    }
    List<String> users = new ArrayList<>(List.of(user));
    if (cfg.breakGlass() != null) {
      users.add(cfg.breakGlass().user());
    }
    users.add(ROOT);
    LiveViewProbe.RootShell root =
        shell -> {
          Optional<String[]> r = t.rootExec(shell);
          if (r.isPresent()) {
            return r.get();
          }
          Ssh.Exec e = asAdmin("sudo -n sh -c " + dev.kiln.check.LiveView.quote(shell));
          return new String[] {Integer.toString(e.exit()), e.out()};
        };
    return new LiveViewProbe(root, cfg.expected(), users, matchAddress()).run();
  }

  /** The source address for sshd -T -C: the real one when known, else a documentation address. */
  private String matchAddress() throws KilnException {
    String a = t.sourceAddress("user");
    return a.matches("[0-9.]+|[0-9a-fA-F:]+") ? a : "192.0.2.10";
  }

  private static String summary(String sshdT) {
    StringBuilder b = new StringBuilder();
    for (String l : sshdT.split("\n")) {
      String k = l.split(" ", 2)[0];
      if (List.of(
              "permitrootlogin",
              "passwordauthentication",
              "kbdinteractiveauthentication",
              "authenticationmethods",
              "pubkeyauthentication",
              "authorizedkeyscommand",
              "kexalgorithms",
              "ciphers",
              "macs",
              "maxauthtries",
              "allowgroups",
              "loglevel",
              "usepam")
          .contains(k)) {
        b.append(l).append('\n');
      }
    }
    return b.toString();
  }

  private R shadow() throws Exception {
    if (!existing && sudoGroup == null) {
      return R.skip("needs a sudo group to read /etc/shadow");
    }
    if (existing && asAdmin("sudo -n true").exit() != 0) {
      return R.skip("the configured IAM user has no sudo: cannot read /etc/shadow");
    }
    Ssh.Exec e =
        asAdmin(
            "sudo -n awk -F: '$1==\"root\"{print ($2==\"*\" || substr($2,1,1)==\"!\") ? \"root-field=locked\""
                + " : \"root-field=UNLOCKED\"}' /etc/shadow; sudo -n passwd -S root;"
                + " sudo -n pwck -r -q; echo pwck=$?; sudo -n grpck -r; echo grpck=$?");
    String o = e.all();
    boolean locked = o.contains("root-field=locked");
    boolean statusL = o.lines().anyMatch(l -> l.startsWith("root L"));
    boolean pwck = o.contains("pwck=0");
    boolean grpck = o.contains("grpck=0");
    String observed =
        "root field "
            + (locked ? "locked" : "NOT locked")
            + ", passwd -S "
            + (statusL ? "L" : "not L")
            + ", pwck "
            + (pwck ? "clean" : "NOT clean")
            + ", grpck "
            + (grpck ? "clean" : "NOT clean");
    return locked && statusL && pwck && grpck ? R.pass(observed, o) : R.fail(observed, o);
  }

  private R hostKeys() throws Exception {
    if (candidateHostKey == null) {
      return R.fail("no host key seen (the user login failed)", "");
    }
    Optional<String> other = t.otherBootHostKey();
    if (other.isEmpty()) {
      return R.skip("this cloud cannot boot a second instance for comparison");
    }
    String ev =
        "candidate: " + abbreviate(candidateHostKey) + "\nother boot: " + abbreviate(other.get());
    if (!candidateHostKey.startsWith("ssh-ed25519")) {
      return R.fail(
          "the candidate offered " + candidateHostKey.split(" ")[0] + ", expected ssh-ed25519", ev);
    }
    if (Ssh.sameKey(candidateHostKey, other.get())) {
      return R.fail("two boots of the image share a host key (keys baked into the image)", ev);
    }
    return R.pass("another boot of the same image has a different ed25519 host key", ev);
  }

  private static String abbreviate(String key) {
    String[] f = key.split(" ");
    String b = f.length > 1 ? f[1] : f[0];
    return f[0]
        + " "
        + (b.length() > 24 ? b.substring(0, 12) + "…" + b.substring(b.length() - 12) : b);
  }

  private R rootLogin() throws Exception {
    int port = t.port("probe");
    StringBuilder ev = new StringBuilder();
    Attempt pw = negative(() -> Ssh.withPassword(t.host(), port, "root", "root"));
    ev.append("root, password: ").append(pw.kind()).append(" — ").append(pw.detail()).append('\n');
    pw.close();
    if (existing) {
      Attempt k = negative(() -> Ssh.withKey(t.host(), port, "root", keys.get(user)));
      ev.append("root, key of ")
          .append(user)
          .append(": ")
          .append(k.kind())
          .append(" — ")
          .append(k.detail())
          .append('\n');
      k.close();
      return judgeRefused(
          List.of(pw, k),
          "root is refused with a password and with an IAM user's key (no IAM user 'root' is created outside the sandbox)",
          ev);
    }
    Attempt key = negative(() -> Ssh.withKey(t.host(), port, "root", keys.get(ROOT)));
    ev.append("root, key of IAM user 'root' (")
        .append(keys.get(ROOT).fingerprint())
        .append("): ")
        .append(key.kind())
        .append(" — ")
        .append(key.detail())
        .append('\n');
    key.close();
    return judgeRefused(
        List.of(pw, key), "root is refused with a password and with an IAM key", ev);
  }

  private R judgeRefused(List<Attempt> attempts, String okText, StringBuilder ev) {
    if (attempts.stream().anyMatch(a -> a.kind() == Kind.LOGGED_IN)) {
      return R.fail("a login that must be refused SUCCEEDED", ev.toString());
    }
    if (attempts.stream().anyMatch(a -> a.kind() == Kind.NO_CONNECTION)) {
      return R.fail("inconclusive: an attempt never reached authentication", ev.toString());
    }
    return R.pass(okText, ev.toString());
  }

  private R passwords() throws Exception {
    int port = t.port("probe");
    StringBuilder ev = new StringBuilder();
    List<Attempt> all = new ArrayList<>();
    List<String> users = new ArrayList<>(existing ? List.of(user) : List.of(USER, ADMIN));
    if (cfg.loginUser() != null && !users.contains(cfg.loginUser())) {
      users.add(cfg.loginUser());
    }
    for (String u : users) {
      Attempt p = negative(() -> Ssh.withPassword(t.host(), port, u, "kiln-probe-password"));
      Attempt k =
          negative(() -> Ssh.withKeyboardInteractive(t.host(), port, u, "kiln-probe-password"));
      ev.append(u)
          .append(", password: ")
          .append(p.kind())
          .append(" — ")
          .append(p.detail())
          .append('\n');
      ev.append(u)
          .append(", keyboard-interactive: ")
          .append(k.kind())
          .append(" — ")
          .append(k.detail())
          .append('\n');
      p.close();
      k.close();
      all.add(p);
      all.add(k);
    }
    return judgeRefused(all, "password and keyboard-interactive refused for " + users, ev);
  }

  private R revoked(String user, boolean delete) throws Exception {
    if (existing) {
      return R.skip("changes IAM: runs only with the sandbox's test users");
    }
    Attempt before = login("user", user);
    before.close();
    if (before.kind() != Kind.LOGGED_IN) {
      return R.fail(user + " could not log in before the change: " + before.detail(), "");
    }
    IamClient iam = t.iam();
    String keyId = keyIds.get(user);
    long t0 = System.nanoTime();
    if (delete) {
      iam.deleteSSHPublicKey(r -> r.userName(user).sshPublicKeyId(keyId));
    } else {
      iam.updateSSHPublicKey(
          r -> r.userName(user).sshPublicKeyId(keyId).status(StatusType.INACTIVE));
    }
    int ttl = cfg.keyCacheTtl();
    long limit = (ttl + 3) * 1000L;
    StringBuilder ev =
        new StringBuilder(
            (delete ? "DeleteSSHPublicKey " : "UpdateSSHPublicKey Inactive ") + keyId + "\n");
    while (true) {
      long el = (System.nanoTime() - t0) / 1_000_000;
      Attempt a = negative(() -> Ssh.withKey(t.host(), portQuiet("probe"), user, keys.get(user)));
      a.close();
      el = (System.nanoTime() - t0) / 1_000_000;
      ev.append("+").append(el).append(" ms: ").append(a.kind()).append('\n');
      if (a.kind() == Kind.REFUSED) {
        return el <= limit
            ? R.pass("refused " + el + " ms after the change (TTL " + ttl + " s)", ev.toString())
            : R.fail(
                "refused only " + el + " ms after the change, TTL is " + ttl + " s", ev.toString());
      }
      if (a.kind() == Kind.NO_CONNECTION) {
        return R.fail("inconclusive: " + a.detail(), ev.toString());
      }
      if (el > limit + 10_000) {
        return R.fail(
            "still logs in " + el + " ms after the change (TTL " + ttl + " s)", ev.toString());
      }
      sleep(1000);
    }
  }

  private int portQuiet(String source) {
    try {
      return t.port(source);
    } catch (KilnException e) {
      throw new IllegalStateException(e);
    }
  }

  private R groupRemoval() throws Exception {
    if (existing) {
      return R.skip("changes IAM: runs only with the sandbox's test users");
    }
    if (cfg.iamGroups().isEmpty()) {
      return R.skip(
          "<access><iamGroups> is empty: every IAM user is authorized, no group to leave");
    }
    Attempt before = login("user", GONE);
    before.close();
    if (before.kind() != Kind.LOGGED_IN) {
      return R.fail(GONE + " could not log in before leaving the group: " + before.detail(), "");
    }
    t.iam().removeUserFromGroup(r -> r.userName(GONE).groupName(loginGroup));
    String sync = sync();
    Optional<String[]> local =
        t.rootExec("getent passwd " + GONE + "; passwd -S " + GONE + " 2>&1");
    Attempt after = negative(() -> Ssh.withKey(t.host(), portQuiet("probe"), GONE, keys.get(GONE)));
    after.close();
    String ev =
        "RemoveUserFromGroup "
            + GONE
            + " "
            + loginGroup
            + "\nsync-users: "
            + (sync == null ? "-" : sync.strip())
            + "\nlocal account: "
            + local.map(x -> x[1].strip()).orElse("-")
            + "\nlogin after: "
            + after.kind()
            + " — "
            + after.detail();
    if (after.kind() == Kind.REFUSED) {
      return R.pass(GONE + " is refused after leaving " + loginGroup, ev);
    }
    return R.fail(
        after.kind() == Kind.LOGGED_IN
            ? GONE + " still logs in after leaving " + loginGroup
            : "inconclusive",
        ev);
  }

  private R fail2ban() throws Exception {
    if (existing) {
      return R.skip(
          "needs two source addresses (one banned, one not) and a way to lift the ban: runs in the"
              + " sandbox; here the runner is in the trusted CIDRs that fail2ban ignores");
    }
    String attacker = t.sourceAddress("attacker");
    int port = t.port("attacker");
    t.unban(attacker);
    StringBuilder ev = new StringBuilder();
    long t0 = System.nanoTime();
    Ssh.Key wrong = Ssh.newKey("attacker");
    int tries = 0;
    for (int i = 0; i < cfg.maxRetry() + 1; i++) {
      Attempt a = Ssh.withKey(t.host(), port, USER, wrong);
      a.close();
      tries++;
      ev.append("attempt ")
          .append(i + 1)
          .append(" from ")
          .append(attacker)
          .append(": ")
          .append(a.kind())
          .append('\n');
      if (a.kind() == Kind.NO_CONNECTION) {
        break;
      }
    }
    long banAt = -1;
    String lastBanner = "";
    long wait = cfg.banTimeout().toMillis();
    while ((System.nanoTime() - t0) / 1_000_000 < wait) {
      lastBanner = banner(t.host(), port);
      if (!lastBanner.startsWith("SSH-")) {
        banAt = (System.nanoTime() - t0) / 1_000_000;
        break;
      }
      sleep(500);
    }
    ev.append("attacker connection after ")
        .append(tries)
        .append(" failures: ")
        .append(
            banAt < 0
                ? "still answered (" + lastBanner.strip() + ")"
                : "refused after " + banAt + " ms (" + lastBanner + ")")
        .append('\n');
    Optional<String> fw = t.firewall();
    boolean inFirewall = fw.map(s -> s.contains(attacker)).orElse(false);
    ev.append("nft list ruleset mentions ")
        .append(attacker)
        .append(": ")
        .append(inFirewall)
        .append('\n');
    fw.ifPresent(
        s ->
            s.lines()
                .filter(l -> l.contains(attacker) || l.contains("f2b"))
                .limit(6)
                .forEach(l -> ev.append("  ").append(l.strip()).append('\n')));
    Attempt user = login("user", USER);
    user.close();
    ev.append("user source ")
        .append(t.sourceAddress("user"))
        .append(", ")
        .append(USER)
        .append(": ")
        .append(user.kind())
        .append('\n');
    t.rootExec("fail2ban-client status sshd 2>&1")
        .ifPresent(x -> ev.append(x[1].strip()).append('\n'));
    t.unban(attacker);
    if (banAt < 0) {
      return R.fail(
          "the attacker was not banned within " + wait / 1000 + " s of " + tries + " failures",
          ev.toString());
    }
    if (!inFirewall && fw.isPresent()) {
      return R.fail(
          "connections refused but the attacker's address is not in the firewall", ev.toString());
    }
    if (user.kind() != Kind.LOGGED_IN) {
      return R.fail("the ban blocked another source too: " + user.detail(), ev.toString());
    }
    return R.pass(
        "attacker banned "
            + banAt
            + " ms after the first failure (in nftables); the user source still logs in",
        ev.toString());
  }

  private R sshAudit() throws Exception {
    Optional<String[]> r = t.sshAudit();
    if (r.isEmpty()) {
      return R.skip("ssh-audit is not installed (apt-get install ssh-audit)");
    }
    t.unban(t.sourceAddress("user"));
    int exit = Integer.parseInt(r.get()[0]);
    String o = r.get()[1];
    List<String> fails = o.lines().filter(l -> l.contains("[fail]")).toList();
    if (exit == 1) {
      return R.fail("ssh-audit could not connect (exit 1)", o);
    }
    if (!fails.isEmpty()) {
      return R.fail(fails.size() + " [fail] finding(s), first: " + fails.get(0).strip(), o);
    }
    return R.pass("no [fail] (exit " + exit + (exit == 2 ? ", warnings only" : "") + ")", o);
  }

  /** The first line the server sends on 127.0.0.1:port, or the error. */
  static String banner(String host, int port) {
    try (Socket c = new Socket()) {
      c.connect(new InetSocketAddress(host, port), 2000);
      c.setSoTimeout(3000);
      InputStream in = c.getInputStream();
      StringBuilder b = new StringBuilder();
      int ch;
      while ((ch = in.read()) >= 0 && ch != '\n' && b.length() < 255) {
        b.append((char) ch);
      }
      return b.length() == 0 ? "closed before the banner" : b.toString();
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
