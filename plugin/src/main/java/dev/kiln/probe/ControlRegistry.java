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
   * The controls in run and report order. The controls of one stage run side by side (they must not
   * disturb each other); stages run one after the other.
   */
  static final List<List<Entry>> STAGES =
      List.of(
          List.of(IamAccessProbe.KEY_LOGIN),
          List.of(AccountProbe.SUDO_GROUP_ONLY),
          List.of(SshdConfigProbe.EFFECTIVE),
          List.of(SshdConfigProbe.LIVE_VIEW),
          List.of(AccountProbe.ROOT_PASSWORD_LOCKED),
          List.of(HostKeyProbe.UNIQUE),
          List.of(RefusalProbe.ROOT_LOGIN),
          List.of(RefusalProbe.PASSWORD_AUTH),
          // Both wait out the key cache TTL: side by side, on different users.
          List.of(IamAccessProbe.KEY_INACTIVE, IamAccessProbe.KEY_DELETED),
          List.of(IamAccessProbe.GROUP_REMOVAL),
          List.of(Fail2banProbe.BAN),
          List.of(SshAuditProbe.AUDIT),
          // Last: it cuts the candidate off IAM, and the key command remembers that failure for a
          // few seconds, so a control after it would see the outage instead of what it checks.
          List.of(BreakGlassProbe.ENTRY));

  /**
   * Controls that only look at the candidate from inside and never log in, change it or use IAM
   * (Lynis' audit: its own mount namespace, {@code sshd -T}, reading files): they run beside every
   * stage but the last, which starts once they are done. Lynis takes longer than all the stages
   * before the last together on a shared machine, so running it after them doubled verify's time.
   */
  static final List<Entry> BESIDE = List.of(LynisProbe.ENTRY);

  /** Every control id, in the report's order: the stages, with {@link #BESIDE} before the last. */
  static List<String> ids() {
    List<Entry> all = new ArrayList<>();
    STAGES.subList(0, STAGES.size() - 1).forEach(all::addAll);
    all.addAll(BESIDE);
    all.addAll(STAGES.get(STAGES.size() - 1));
    return all.stream().map(Entry::id).toList();
  }
}
