package dev.kiln.probe;

import dev.kiln.check.CheckInput;
import dev.kiln.check.LiveView;
import dev.kiln.check.SshdCommandLine;
import dev.kiln.probe.Prober.R;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Control {@code sshd-live-view}: the running sshd's command line (every listener's {@code
 * /proc/<pid>/cmdline}) and the command line its systemd unit gives (ExecStart after the unit's
 * drop-ins: what the next restart runs) are replayed into {@code sshd -T -C user=...} for an IAM
 * user, the break-glass account and root; every keyword must have its file-view value.
 */
final class LiveViewProbe {
  static final String ID = "sshd-live-view";
  static final String TITLE =
      "The running sshd's command line changes nothing the configuration files say";
  static final String EXPECTED =
      "sshd -T -C with the live daemon's and its unit's options equals sshd -T -C of the files,"
          + " for an IAM user, the break-glass account and root";

  /** Runs a shell command as root on the candidate: exit code and output. */
  interface RootShell {
    String[] run(String shell) throws Exception;
  }

  private final RootShell root;
  private final CheckInput expected;
  private final List<String> users;
  private final String address;

  LiveViewProbe(RootShell root, CheckInput expected, List<String> users, String address) {
    this.root = root;
    this.expected = expected;
    this.users = users;
    this.address = address;
  }

  R run() throws Exception {
    String unit = expected == null ? "ssh" : CheckInput.string(expected.recipe(), "sshd.unit");
    String[] c = root.run(LiveView.collectScript(unit == null ? "ssh" : unit));
    LiveView.Collected live = LiveView.parse(c[1]);
    StringBuilder ev = new StringBuilder();
    if (live.daemons().isEmpty()) {
      return R.fail("no sshd listener found in /proc", c[1]);
    }
    Map<String, List<String>> sources = new LinkedHashMap<>();
    for (int i = 0; i < live.daemons().size(); i++) {
      List<String> argv = live.daemons().get(i);
      sources.put("daemon " + (i + 1) + " (/proc)", SshdCommandLine.configOptions(argv));
      ev.append("running daemon: ").append(LiveView.show(argv)).append('\n');
    }
    List<String> unitArgv = live.unitArgv();
    ev.append("unit ")
        .append(unit)
        .append(".service files: ")
        .append(live.unitFiles().stream().map(SshdCommandLine.UnitFile::path).toList())
        .append('\n');
    ev.append("unit ExecStart: ").append(LiveView.show(unitArgv)).append('\n');
    sources.put("unit " + unit + ".service", SshdCommandLine.configOptions(unitArgv));

    List<String> wrong = new ArrayList<>();
    int options = 0;
    for (String u : users) {
      String conn = "user=" + u + ",host=probe.example,addr=" + address;
      String[] files = root.run(LiveView.sshdT("/usr/sbin/sshd", conn, List.of()));
      if (!"0".equals(files[0])) {
        return R.fail("sshd -T -C " + conn + " failed (exit " + files[0] + ")", files[1]);
      }
      for (Map.Entry<String, List<String>> s : sources.entrySet()) {
        if (s.getValue().isEmpty()) {
          continue;
        }
        options += s.getValue().size() / 2;
        String[] withOptions = root.run(LiveView.sshdT("/usr/sbin/sshd", conn, s.getValue()));
        if (!"0".equals(withOptions[0])) {
          wrong.add(s.getKey() + " for " + u + ": sshd -T rejects its options");
          ev.append(withOptions[1]).append('\n');
          continue;
        }
        for (String d : LiveView.differences(files[1], withOptions[1])) {
          wrong.add(s.getKey() + " for " + u + ": " + d);
        }
      }
    }
    if (!wrong.isEmpty()) {
      ev.append(String.join("\n", wrong)).append('\n');
      return R.fail(
          wrong.size() + " value(s) differ from the files, first: " + wrong.get(0), ev.toString());
    }
    return R.pass(
        options == 0
            ? "sshd runs with no configuration option on its command line"
            : "the daemon's and the unit's command-line options ("
                + options / Math.max(1, users.size())
                + ") change no value for "
                + users,
        ev.toString());
  }
}
