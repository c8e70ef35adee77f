package dev.kiln.probe;

import static dev.kiln.probe.ProbeContext.DELETED;
import static dev.kiln.probe.ProbeContext.GONE;
import static dev.kiln.probe.ProbeContext.INACTIVE;

import dev.kiln.probe.Prober.R;
import dev.kiln.probe.Ssh.Attempt;
import dev.kiln.probe.Ssh.Kind;
import java.util.Optional;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.StatusType;

/**
 * IAM governs who logs in: an Active key of a user in an authorized group logs in; a key set
 * Inactive or deleted stops working within the key cache TTL; leaving the group removes access.
 */
final class IamAccessProbe {
  private IamAccessProbe() {}

  static final ControlRegistry.Entry KEY_LOGIN =
      new ControlRegistry.Entry(
          "iam-key-login",
          "An IAM user in the authorized group logs in with an Active key",
          "login succeeds for " + ProbeContext.USER + " with its Active IAM key",
          IamAccessProbe::activeKey);

  static final ControlRegistry.Entry KEY_INACTIVE =
      new ControlRegistry.Entry(
          "iam-key-inactive",
          "A key set Inactive in IAM stops working within the key cache TTL",
          s ->
              "refused within keyCacheTtl ("
                  + s.keyCacheTtl()
                  + " s) after UpdateSSHPublicKey Inactive",
          c -> revoked(c, INACTIVE, false));

  static final ControlRegistry.Entry KEY_DELETED =
      new ControlRegistry.Entry(
          "iam-key-deleted",
          "A key deleted from IAM stops working within the key cache TTL",
          s -> "refused within keyCacheTtl (" + s.keyCacheTtl() + " s) after DeleteSSHPublicKey",
          c -> revoked(c, DELETED, true));

  static final ControlRegistry.Entry GROUP_REMOVAL =
      new ControlRegistry.Entry(
          "iam-group-removal",
          "A user removed from the authorized group loses access",
          "after RemoveUserFromGroup and a sync run the user is refused",
          IamAccessProbe::groupRemoval);

  private static R activeKey(ProbeContext c) throws Exception {
    String user = c.user();
    Attempt a = c.login("user", user);
    try {
      if (a.kind() != Kind.LOGGED_IN) {
        return R.fail(
            user + " could not log in: " + a.detail(), "key " + c.key(user).fingerprint());
      }
      c.candidateHostKey(a.hostKey());
      Ssh.Exec id = Ssh.run(a.session(), "id; hostname");
      return R.pass("logged in as " + user, id.all());
    } finally {
      a.close();
    }
  }

  private static R revoked(ProbeContext c, String user, boolean delete) throws Exception {
    if (c.existing()) {
      return R.skip("changes IAM: runs only with the sandbox's test users");
    }
    Target t = c.target();
    Attempt before = c.login("user", user);
    before.close();
    if (before.kind() != Kind.LOGGED_IN) {
      return R.fail(user + " could not log in before the change: " + before.detail(), "");
    }
    IamClient iam = t.iam();
    String keyId = c.keyId(user);
    long t0 = System.nanoTime();
    if (delete) {
      iam.deleteSSHPublicKey(r -> r.userName(user).sshPublicKeyId(keyId));
    } else {
      iam.updateSSHPublicKey(
          r -> r.userName(user).sshPublicKeyId(keyId).status(StatusType.INACTIVE));
    }
    int ttl = c.settings().keyCacheTtl();
    long limit = (ttl + 3) * 1000L;
    StringBuilder ev =
        new StringBuilder(
            (delete ? "DeleteSSHPublicKey " : "UpdateSSHPublicKey Inactive ") + keyId + "\n");
    // Polls until refused: the refusal's time after the change is what the control measures.
    while (true) {
      Attempt a = c.negative(() -> Ssh.withKey(t.host(), c.portQuiet("probe"), user, c.key(user)));
      a.close();
      long el = (System.nanoTime() - t0) / 1_000_000;
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
      Retry.sleep(1000);
    }
  }

  private static R groupRemoval(ProbeContext c) throws Exception {
    if (c.existing()) {
      return R.skip("changes IAM: runs only with the sandbox's test users");
    }
    if (c.settings().iamGroups().isEmpty()) {
      return R.skip(
          "<access><iamGroups> is empty: every IAM user is authorized, no group to leave");
    }
    Target t = c.target();
    String loginGroup = c.loginGroup();
    Attempt before = c.login("user", GONE);
    before.close();
    if (before.kind() != Kind.LOGGED_IN) {
      return R.fail(GONE + " could not log in before leaving the group: " + before.detail(), "");
    }
    t.iam().removeUserFromGroup(r -> r.userName(GONE).groupName(loginGroup));
    String sync = c.sync();
    Optional<String[]> local =
        t.rootExec("getent passwd " + GONE + "; passwd -S " + GONE + " 2>&1");
    Attempt after =
        c.negative(() -> Ssh.withKey(t.host(), c.portQuiet("probe"), GONE, c.key(GONE)));
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
}
