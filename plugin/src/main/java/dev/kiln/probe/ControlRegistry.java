package dev.kiln.probe;

import dev.kiln.probe.Prober.R;
import java.util.List;
import java.util.function.Function;

/**
 * The controls {@code kiln:verify} runs, in the report's order. Each control family is a class
 * holding its {@link Entry}s; adding a control is adding its entry to {@link #STAGES}.
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
          List.of(LynisProbe.ENTRY),
          // Last: it cuts the candidate off IAM, and the key command remembers that failure for a
          // few seconds, so a control after it would see the outage instead of what it checks.
          List.of(BreakGlassProbe.ENTRY));

  /** Every control id, in the report's order. */
  static List<String> ids() {
    return STAGES.stream().flatMap(List::stream).map(Entry::id).toList();
  }
}
