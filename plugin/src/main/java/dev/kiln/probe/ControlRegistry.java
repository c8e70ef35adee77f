package dev.kiln.probe;

import dev.kiln.probe.Prober.R;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The controls {@code kiln:verify} runs, in the report's order. Each control family is a class
 * holding its {@link Entry}s; adding a control is adding its entry to {@link #STAGES} (or, for one
 * that only reads the candidate, to {@link #BESIDE}).
 */
final class ControlRegistry {
  private ControlRegistry() {}

  /** A control's probe: what it saw on the candidate. */
  interface Check {
    R run(ProbeContext c) throws Exception;
  }

  /**
   * One control.
   *
   * @param id stable identifier: the JUnit testcase name and the anchor in docs/hardening.md
   * @param title what the control means, for people
   * @param expected what a hardened image does (it may quote the settings, such as the TTL)
   * @param check the probe
   */
  record Entry(String id, String title, Function<ProbeSettings, String> expected, Check check) {
    Entry(String id, String title, String expected, Check check) {
      this(id, title, s -> expected, check);
    }
  }

  /**
   * The controls in run and report order: stages run one after the other; a stage's lanes run side
   * by side (they must not disturb each other), the controls of one lane one after the other.
   */
  static final List<List<List<Entry>>> STAGES =
      List.of(
          // First and alone: it records the host key the other controls compare against.
          List.of(List.of(IamAccessProbe.KEY_LOGIN)),
          // The key revocations wait out the key cache TTL, each on its own test user, and
          // fail2ban-ban waits for the ban: the controls that touch neither those users nor the
          // key cache run beside them. Their failures come from the probe source (fail2ban ignores
          // it; in the sandbox sshd's penalties exempt it), fail2ban-ban's from the attacker only.
          List.of(
              List.of(
                  AccountProbe.SUDO_GROUP_ONLY,
                  SshdConfigProbe.EFFECTIVE,
                  SshdConfigProbe.LIVE_VIEW,
                  AccountProbe.ROOT_PASSWORD_LOCKED,
                  RefusalProbe.ROOT_LOGIN,
                  RefusalProbe.PASSWORD_AUTH,
                  IamAccessProbe.GROUP_REMOVAL),
              List.of(HostKeyProbe.UNIQUE, Fail2banProbe.BAN),
              List.of(IamAccessProbe.KEY_INACTIVE),
              List.of(IamAccessProbe.KEY_DELETED)),
          // Alone: its connections come from the user source, which it unbans afterwards.
          List.of(List.of(SshAuditProbe.AUDIT)),
          // Last: it cuts the candidate off IAM, and the key command remembers that failure for a
          // few seconds, so a control after it would see the outage instead of what it checks.
          List.of(List.of(BreakGlassProbe.ENTRY)));

  /**
   * Controls that only look at the candidate from inside and never log in, change it or use IAM
   * (Lynis' audit: its own mount namespace, {@code sshd -T}, reading files): they start with
   * verify, before the IAM test users are set up, and run beside every stage but the last, which
   * starts once they are done. Run after the stages, Lynis doubled verify's time on a shared
   * machine.
   */
  static final List<Entry> BESIDE = List.of(LynisProbe.ENTRY);

  /** Every control id, in the report's order: the stages, with {@link #BESIDE} before the last. */
  static List<String> ids() {
    List<Entry> all = new ArrayList<>();
    STAGES.subList(0, STAGES.size() - 1).forEach(stage -> stage.forEach(all::addAll));
    all.addAll(BESIDE);
    STAGES.get(STAGES.size() - 1).forEach(all::addAll);
    return all.stream().map(Entry::id).toList();
  }
}
