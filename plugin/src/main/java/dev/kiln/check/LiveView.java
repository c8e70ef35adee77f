package dev.kiln.check;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The live view of sshd's configuration against the file view. Scanners run {@code sshd -T}, which
 * reads the files only; the running daemon also has its command line ({@code -o} options from a
 * systemd unit drop-in beat every file). The live view replays the daemon's options, read from
 * {@code /proc/<pid>/cmdline} and from the unit's ExecStart, into {@code sshd -T -C ...}; any
 * keyword whose value differs from the file view is a finding.
 */
public final class LiveView {
  private LiveView() {}

  /** What {@link #collectScript} found on an instance. */
  public record Collected(
      List<List<String>> daemons, List<SshdCommandLine.UnitFile> unitFiles, String environment) {

    /** The unit's ExecStart after its drop-ins. */
    public List<String> unitArgv() {
      return SshdCommandLine.execStart(unitFiles, SshdCommandLine.environment(environment));
    }
  }

  /**
   * A POSIX shell script that prints, for {@code unit} ({@code ssh}, {@code sshd}): every sshd
   * listener's {@code /proc/<pid>/cmdline} (base64), the unit file and its drop-ins in systemd's
   * order (a name in /etc hides the same name in /usr/lib; links to /dev/null are masked), and the
   * unit's EnvironmentFile.
   */
  public static String collectScript(String unit) {
    String dirs =
        "/etc/systemd/system /run/systemd/system /usr/lib/systemd/system /lib/systemd/system";
    return String.join(
        "\n",
        "for p in /proc/[0-9]*; do",
        "  c=$(tr '\\0' ' ' < \"$p/cmdline\" 2>/dev/null) || continue",
        "  case \"$c\" in sshd:*\"[listener]\"*) echo \"### DAEMON $(base64 -w0 < \"$p/cmdline\")\" ;; esac",
        "done",
        "u=" + unit + ".service",
        "for d in " + dirs + "; do",
        "  if [ -f \"$d/$u\" ] && [ \"$(readlink -f \"$d/$u\")\" != /dev/null ]; then",
        "    echo \"### FILE $d/$u\"; cat \"$d/$u\"; echo; break",
        "  fi",
        "done",
        "seen=' '",
        "for d in " + dirs + "; do ls -1 \"$d/$u.d\" 2>/dev/null | sed \"s|^|$d/$u.d/|\"; done \\",
        "  | awk -F/ '{ print $NF \"\\t\" $0 }' | sort -s -t \"$(printf '\\t')\" -k1,1 | cut -f2 \\",
        "  | while IFS= read -r f; do",
        "    n=${f##*/}",
        "    case \"$n\" in *.conf) ;; *) continue ;; esac",
        "    case \"$seen\" in *\" $n \"*) continue ;; esac",
        "    seen=\"$seen$n \"",
        "    [ \"$(readlink -f \"$f\")\" = /dev/null ] && continue",
        "    echo \"### FILE $f\"; cat \"$f\"; echo",
        "  done",
        "echo '### ENV'",
        "cat /etc/default/" + unit + " 2>/dev/null; true");
  }

  /** Parses the output of {@link #collectScript}. */
  public static Collected parse(String output) {
    List<List<String>> daemons = new ArrayList<>();
    List<SshdCommandLine.UnitFile> files = new ArrayList<>();
    StringBuilder env = new StringBuilder();
    String file = null;
    StringBuilder text = new StringBuilder();
    boolean inEnv = false;
    for (String line : output.split("\n", -1)) {
      if (line.startsWith("### DAEMON ")) {
        byte[] cmd = Base64.getDecoder().decode(line.substring(11).strip());
        daemons.add(SshdCommandLine.fromProcess(cmd));
        continue;
      }
      if (line.startsWith("### FILE ") || line.equals("### ENV")) {
        if (file != null) {
          files.add(new SshdCommandLine.UnitFile(file, text.toString()));
        }
        file = line.startsWith("### FILE ") ? line.substring(9) : null;
        inEnv = line.equals("### ENV");
        text.setLength(0);
        continue;
      }
      if (inEnv) {
        env.append(line).append('\n');
      } else if (file != null) {
        text.append(line).append('\n');
      }
    }
    if (file != null) {
      files.add(new SshdCommandLine.UnitFile(file, text.toString()));
    }
    return new Collected(daemons, files, env.toString());
  }

  /** One shell word. */
  public static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** {@code sshd -T -C <connection> [options]} as a shell command line. */
  public static String sshdT(String sshd, String connection, List<String> options) {
    StringBuilder b = new StringBuilder(quote(sshd)).append(" -T -C ").append(quote(connection));
    for (String o : options) {
      b.append(' ').append(quote(o));
    }
    return b.toString();
  }

  /**
   * Keywords whose values differ between two {@code sshd -T} outputs, each as {@code keyword: files
   * 'a', live 'b'}.
   */
  public static List<String> differences(String fileView, String liveView) {
    Map<String, List<String>> a = SshdText.parse(fileView);
    Map<String, List<String>> b = SshdText.parse(liveView);
    Set<String> keys = new LinkedHashSet<>(a.keySet());
    keys.addAll(b.keySet());
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      List<String> x = a.getOrDefault(k, List.of());
      List<String> y = b.getOrDefault(k, List.of());
      if (!x.equals(y)) {
        out.add(
            k + ": files '" + String.join(" | ", x) + "', live '" + String.join(" | ", y) + "'");
      }
    }
    return out;
  }

  /** For evidence: an argv as one line, options quoted where they hold spaces. */
  public static String show(List<String> argv) {
    List<String> out = new ArrayList<>();
    for (String a : argv) {
      out.add(a.contains(" ") || a.isEmpty() ? "\"" + a + "\"" : a);
    }
    return String.join(" ", out);
  }
}
