package dev.kiln.probe;

import dev.kiln.probe.Control.Outcome;
import dev.kiln.spec.KilnException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Attacks a running candidate from outside, control by control ({@link ControlRegistry}), and says
 * what it saw. The fail2ban control alone uses the {@code attacker} source; the others log in from
 * {@code user} or fail on purpose from {@code probe} ({@link ProbeContext}).
 */
public final class Prober {
  private final ProbeContext ctx;
  private final Consumer<String> log;

  public Prober(Target target, ProbeSettings settings, Consumer<String> log) {
    this.ctx = new ProbeContext(target, settings, log);
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

  /** A probe's result before timing: outcome, observed, evidence. */
  record R(
      Outcome outcome, String observed, String evidence, java.util.Map<String, String> figures) {
    R(Outcome outcome, String observed, String evidence) {
      this(outcome, observed, evidence, java.util.Map.of());
    }

    /** The same result with figures for the report (insertion order kept). */
    R with(java.util.Map<String, String> f) {
      return new R(outcome, observed, evidence, f);
    }

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

  /**
   * Runs the controls named in {@code only} (null: all), calling {@code afterSetUp} once the IAM
   * test users exist in the candidate.
   */
  public List<Control> run(Set<String> only, Hook afterSetUp) throws KilnException {
    Target t = ctx.target();
    List<Control> out = Collections.synchronizedList(new ArrayList<>());
    List<Thread> beside = new ArrayList<>();
    boolean ignoring = false;
    try {
      // The beside controls only read the candidate, so they need neither the IAM test users nor
      // the sync: they start before the set-up (≈1 s), unless a hook changes the candidate after
      // it, which they must see.
      if (afterSetUp == null) {
        startBeside(only, out, beside);
      }
      ctx.setUp();
      if (afterSetUp != null) {
        try {
          afterSetUp.run(t);
        } catch (Exception e) {
          throw new KilnException("the hook after set-up failed: " + e.getMessage(), e);
        }
        startBeside(only, out, beside);
      }
      t.ignoreInFail2ban(t.sourceAddress("probe"), true);
      ignoring = true;
      List<List<List<ControlRegistry.Entry>>> stages = ControlRegistry.STAGES;
      for (int i = 0; i < stages.size(); i++) {
        if (i == stages.size() - 1) {
          join(beside);
        }
        List<List<ControlRegistry.Entry>> lanes =
            stages.get(i).stream()
                .map(l -> l.stream().filter(e -> only == null || only.contains(e.id())).toList())
                .filter(l -> !l.isEmpty())
                .toList();
        runSideBySide(lanes, out);
      }
    } finally {
      // Also when a stage broke the harness: the beside controls are not left running.
      beside.forEach(Thread::interrupt);
      joinQuietly(beside);
      if (ignoring) {
        t.ignoreInFail2ban(t.sourceAddress("probe"), false);
      }
    }
    List<String> order = ControlRegistry.ids();
    List<Control> sorted = new ArrayList<>(out);
    sorted.sort(Comparator.comparingInt(c -> order.indexOf(c.id())));
    return List.copyOf(sorted);
  }

  private void startBeside(Set<String> only, List<Control> out, List<Thread> beside) {
    for (ControlRegistry.Entry e : ControlRegistry.BESIDE) {
      if (only == null || only.contains(e.id())) {
        beside.add(start(List.of(e), out));
      }
    }
  }

  /** The first lane runs on this thread, every other one on a thread of its own. */
  private void runSideBySide(List<List<ControlRegistry.Entry>> lanes, List<Control> out)
      throws KilnException {
    List<Thread> others = new ArrayList<>();
    for (List<ControlRegistry.Entry> lane :
        lanes.subList(Math.min(1, lanes.size()), lanes.size())) {
      others.add(start(lane, out));
    }
    try {
      if (!lanes.isEmpty()) {
        lanes.get(0).forEach(e -> out.add(control(e)));
      }
    } finally {
      join(others);
    }
  }

  private Thread start(List<ControlRegistry.Entry> lane, List<Control> out) {
    Thread th =
        new Thread(() -> lane.forEach(e -> out.add(control(e))), "kiln-probe-" + lane.get(0).id());
    th.start();
    return th;
  }

  private static void join(List<Thread> threads) throws KilnException {
    try {
      for (Thread th : threads) {
        th.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KilnException("interrupted", e);
    }
  }

  private static void joinQuietly(List<Thread> threads) {
    try {
      join(threads);
    } catch (KilnException e) {
      // interrupted while cleaning up: the caller's exception or interrupt status says why
    }
  }

  private Control control(ControlRegistry.Entry e) {
    long t0 = System.nanoTime();
    R r;
    try {
      r = e.check().run(ctx);
    } catch (Exception x) {
      r = R.fail("the probe could not run: " + x.getMessage(), String.valueOf(x));
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    Control c =
        new Control(
            e.id(),
            e.title(),
            e.expected().apply(ctx.settings()),
            r.observed(),
            r.outcome(),
            r.evidence(),
            ms,
            r.figures());
    log.accept(String.format("  %-7s %-24s %s (%d ms)", c.outcome(), e.id(), c.observed(), ms));
    return c;
  }
}
