package dev.kiln.check;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * sshd's command line, which beats every configuration file and which no file-reading scanner sees:
 * how systemd builds it from the unit and its drop-ins ({@code ExecStart=}), how to read it back
 * from a running daemon ({@code /proc/<pid>/cmdline}, which sshd overwrites with its process
 * title), and which of its options change the configuration, to replay them into {@code sshd -T}.
 */
public final class SshdCommandLine {
  private SshdCommandLine() {}

  /** One unit file or drop-in: where it is and its text. */
  public record UnitFile(String path, String text) {}

  /** sshd's options that take a value (OpenSSH 9.x getopt: {@code C:E:b:c:f:g:h:k:o:p:u:}). */
  private static final Set<Character> WITH_VALUE =
      Set.of('C', 'E', 'b', 'c', 'f', 'g', 'h', 'k', 'o', 'p', 'u');

  /** Of those, the ones that change what {@code sshd -T} prints, replayed by the live check. */
  private static final Set<Character> CONFIG = Set.of('f', 'o', 'p', 'c', 'h', 'u', 'g');

  private static final Pattern FLAGS = Pattern.compile("-[46DQRTdeiqrtV]+");
  private static final Pattern VALUE_FLAG = Pattern.compile("-[CEbcfghkopu].*");
  private static final Pattern VAR = Pattern.compile("\\$\\{(\\w+)}|\\$(\\w+)");

  /**
   * The service's ExecStart as argv, as systemd would run it: the unit file first, then its
   * drop-ins in the order given (systemd sorts them by file name); an empty {@code ExecStart=}
   * resets the list; the last command wins for sshd (a {@code Type=notify} service has one).
   *
   * @param env variables from the unit's EnvironmentFile ({@code SSHD_OPTS})
   * @return argv, empty when no file sets ExecStart
   */
  public static List<String> execStart(List<UnitFile> files, Map<String, String> env) {
    List<String> last = List.of();
    for (UnitFile f : files) {
      String section = "";
      for (String raw : joinContinuations(f.text())) {
        String line = raw.strip();
        if (line.startsWith("[") && line.endsWith("]")) {
          section = line;
          continue;
        }
        if (!section.equals("[Service]") || !line.startsWith("ExecStart=")) {
          continue;
        }
        String value = line.substring("ExecStart=".length()).strip();
        last = value.isEmpty() ? List.of() : tokens(value, env);
      }
    }
    return last;
  }

  private static List<String> joinContinuations(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String l : text.split("\n", -1)) {
      if (l.endsWith("\\")) {
        cur.append(l, 0, l.length() - 1).append(' ');
      } else {
        out.add(cur.append(l).toString());
        cur.setLength(0);
      }
    }
    return out;
  }

  /**
   * Splits one ExecStart value as systemd does: double and single quotes, backslash escapes, {@code
   * %%} for {@code %}, {@code $VAR} split at whitespace into several words, {@code ${VAR}} one
   * word; the executable's prefixes ({@code -@:+!}) are dropped.
   */
  static List<String> tokens(String value, Map<String, String> env) {
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = value.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(value.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      StringBuilder w = new StringBuilder();
      boolean quoted = false;
      while (i < n && !Character.isWhitespace(value.charAt(i))) {
        char c = value.charAt(i);
        if (c == '"' || c == '\'') {
          quoted = true;
          int end = value.indexOf(c, i + 1);
          end = end < 0 ? n : end;
          w.append(unescape(value.substring(i + 1, end)));
          i = end + 1;
        } else if (c == '\\' && i + 1 < n) {
          w.append(value.charAt(i + 1));
          i += 2;
        } else {
          w.append(c);
          i++;
        }
      }
      String word = w.toString().replace("%%", "%");
      Matcher whole = Pattern.compile("\\$(\\w+)").matcher(word);
      if (!quoted && whole.matches()) {
        // $VAR alone: its value split at whitespace, nothing when empty
        for (String part : env.getOrDefault(whole.group(1), "").strip().split("\\s+")) {
          if (!part.isEmpty()) {
            out.add(part);
          }
        }
        continue;
      }
      out.add(expand(word, env));
    }
    if (!out.isEmpty()) {
      out.set(0, out.get(0).replaceFirst("^[-@:+!]+", ""));
    }
    return out;
  }

  private static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        b.append(s.charAt(++i));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static String expand(String word, Map<String, String> env) {
    Matcher m = VAR.matcher(word);
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      m.appendReplacement(b, Matcher.quoteReplacement(env.getOrDefault(name, "")));
    }
    m.appendTail(b);
    return b.toString();
  }

  /** {@code KEY=value} lines of an EnvironmentFile ({@code /etc/default/ssh}), quotes removed. */
  public static Map<String, String> environment(String text) {
    Map<String, String> env = new java.util.LinkedHashMap<>();
    for (String l : text.split("\n")) {
      String s = l.strip();
      int eq = s.indexOf('=');
      if (s.startsWith("#") || eq <= 0) {
        continue;
      }
      String v = s.substring(eq + 1).strip();
      if (v.length() >= 2
          && (v.charAt(0) == '"' || v.charAt(0) == '\'')
          && v.charAt(v.length() - 1) == v.charAt(0)) {
        v = v.substring(1, v.length() - 1);
      }
      env.put(s.substring(0, eq).strip(), v);
    }
    return env;
  }

  /**
   * A running sshd's argv from its {@code /proc/<pid>/cmdline}. Before it listens that is argv,
   * NUL-separated; the listener overwrites it with its process title, {@code sshd: /usr/sbin/sshd
   * -D -o AuthorizedKeysCommand /x %u %f [listener] 0 of 10-100 startups}, argv joined by spaces:
   * then an option's value runs up to the next option.
   */
  public static List<String> fromProcess(byte[] cmdline) {
    String text = new String(cmdline, StandardCharsets.UTF_8);
    List<String> parts = new ArrayList<>(List.of(text.split("\0")));
    parts.removeIf(String::isEmpty);
    if (parts.size() > 1) {
      return List.copyOf(parts);
    }
    String title = parts.isEmpty() ? "" : parts.get(0).strip();
    if (title.startsWith("sshd: ")) {
      title = title.substring("sshd: ".length());
    }
    int listener = title.indexOf(" [listener]");
    if (listener >= 0) {
      title = title.substring(0, listener);
    }
    List<String> words = List.of(title.strip().split(" +"));
    List<String> argv = new ArrayList<>();
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (i == 0 || FLAGS.matcher(w).matches()) {
        argv.add(w);
        continue;
      }
      if (VALUE_FLAG.matcher(w).matches()) {
        argv.add(w.substring(0, 2));
        StringBuilder v = new StringBuilder(w.substring(2));
        while (i + 1 < words.size() && !isOption(words.get(i + 1))) {
          v.append(v.length() == 0 ? "" : " ").append(words.get(++i));
        }
        argv.add(v.toString());
        continue;
      }
      argv.add(w);
    }
    return argv;
  }

  private static boolean isOption(String w) {
    return FLAGS.matcher(w).matches() || (w.length() == 2 && VALUE_FLAG.matcher(w).matches());
  }

  /**
   * The options of {@code argv} that change sshd's configuration ({@code -f -o -p -c -h -u -g},
   * each with its value), to pass to {@code sshd -T}; the rest ({@code -D -e -E file ...}) dropped.
   */
  public static List<String> configOptions(List<String> argv) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i < argv.size(); i++) {
      String a = argv.get(i);
      if (a.length() < 2 || a.charAt(0) != '-' || !WITH_VALUE.contains(a.charAt(1))) {
        continue;
      }
      char flag = a.charAt(1);
      String value = a.length() > 2 ? a.substring(2) : i + 1 < argv.size() ? argv.get(++i) : "";
      if (CONFIG.contains(flag)) {
        out.add("-" + flag);
        out.add(value);
      }
    }
    return out;
  }
}
