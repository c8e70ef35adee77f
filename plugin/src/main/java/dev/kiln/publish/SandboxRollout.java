package dev.kiln.publish;

import dev.kiln.spec.KilnException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * A rollout of a {@link SandboxGroup} to an image, the way an instance refresh with a maximum
 * healthy percentage above 100 works: per batch, new instances boot and must be healthy before the
 * ones they replace are removed, so the group never has fewer healthy instances than {@code
 * minHealthyPercentage} of its size (in fact never fewer than its size). A batch replaces {@code
 * floor(size × max / 100) - ceil(size × min / 100)} instances, at least one (with the default max
 * of 100, {@code size - ceil(size × min / 100)}); the batch's instances boot side by side. An
 * unhealthy new instance stops the rollout: the batch's new instances are removed, and every
 * instance replaced in earlier batches is put back from its old image.
 */
public final class SandboxRollout {
  /** One replaced slot of the group. */
  public record Replacement(
      String instanceBefore,
      String imageBefore,
      String instanceAfter,
      String imageAfter,
      String startedAt,
      String healthyAt,
      long millis) {
    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("instanceBefore", instanceBefore);
      m.put("imageBefore", imageBefore);
      m.put("instanceAfter", instanceAfter);
      m.put("imageAfter", imageAfter);
      m.put("startedAt", startedAt);
      m.put("healthyAt", healthyAt);
      m.put("millis", millis);
      return m;
    }
  }

  /** The outcome: what was replaced, and why it stopped when it did. */
  public record Result(
      String group,
      String image,
      List<Replacement> replaced,
      List<Replacement> putBack,
      String failure,
      long millis) {
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("group", group);
      m.put("image", image);
      m.put("outcome", failure == null ? "Successful" : "RolledBack");
      m.put("failure", failure);
      m.put("millis", millis);
      m.put("instances", replaced.stream().map(Replacement::toMap).toList());
      m.put("putBack", putBack.stream().map(Replacement::toMap).toList());
      return m;
    }
  }

  private SandboxRollout() {}

  /**
   * Instances replaced at once: keeps ceil(size × min / 100) in service and runs at most floor(size
   * × max / 100) instances, replacing at least one at a time.
   */
  static int batchSize(int size, int minHealthyPercentage, int maxHealthyPercentage) {
    int keep = (int) Math.ceil(size * minHealthyPercentage / 100.0);
    int most = (int) Math.floor(size * maxHealthyPercentage / 100.0);
    return Math.min(size, Math.max(1, most - keep));
  }

  /**
   * Brings the group to {@code size} instances of {@code image}: creates missing ones, then
   * replaces those on another image in batches. Returns the result also when a new instance was
   * unhealthy (with {@link Result#failure()} set, the group back on its old images).
   */
  public static Result roll(
      SandboxGroup g,
      String image,
      int size,
      int minHealthyPercentage,
      int maxHealthyPercentage,
      Duration bootTimeout,
      Consumer<String> log)
      throws KilnException {
    long t0 = System.nanoTime();
    List<Replacement> replaced = new ArrayList<>();
    List<SandboxGroup.Member> current = new ArrayList<>(g.members());
    // Dead instances (their processes are gone, e.g. after a reboot) are replaced first.
    List<SandboxGroup.Member> stale = new ArrayList<>();
    for (SandboxGroup.Member m : current) {
      String why = SandboxGroup.unhealthy(m);
      if (why != null) {
        log.accept("  " + m.instanceId() + " is unhealthy before the rollout: " + why);
        stale.add(m);
      }
    }
    for (SandboxGroup.Member m : stale) {
      g.remove(m, log);
      current.remove(m);
    }
    while (current.size() > size) {
      SandboxGroup.Member extra = current.remove(current.size() - 1);
      g.remove(extra, log);
    }
    int missing = size - current.size();
    if (missing > 0) {
      log.accept("  group " + g.name() + ": launching " + missing + " instance(s) of " + image);
      List<SandboxGroup.Member> fresh = launchAll(g, image, missing, bootTimeout, log);
      String failure = firstUnhealthy(fresh);
      if (failure != null) {
        for (SandboxGroup.Member m : fresh) {
          g.remove(m, log);
        }
        return new Result(g.name(), image, replaced, List.of(), failure, ms(t0));
      }
      for (SandboxGroup.Member m : fresh) {
        replaced.add(
            new Replacement(
                null, null, m.instanceId(), image, m.launchedAt(), Instant.now().toString(), 0));
      }
    }
    List<SandboxGroup.Member> todo =
        current.stream().filter(m -> !image.equals(m.amiId())).toList();
    int batch = batchSize(size, minHealthyPercentage, maxHealthyPercentage);
    List<SandboxGroup.Member> oldDone = new ArrayList<>();
    List<SandboxGroup.Member> newDone = new ArrayList<>();
    for (int i = 0; i < todo.size(); i += batch) {
      List<SandboxGroup.Member> olds = todo.subList(i, Math.min(todo.size(), i + batch));
      long b0 = System.nanoTime();
      String started = Instant.now().toString();
      log.accept(
          "  batch "
              + (i / batch + 1)
              + ": replacing "
              + olds.stream().map(SandboxGroup.Member::instanceId).toList()
              + " with "
              + image);
      List<SandboxGroup.Member> news;
      String failure;
      try {
        news = launchAll(g, image, olds.size(), bootTimeout, log);
        failure = firstUnhealthy(news);
      } catch (KilnException e) {
        news = List.of();
        failure = "a new instance did not boot: " + e.getMessage();
      }
      if (failure != null) {
        log.accept("  stopping the rollout: " + failure);
        for (SandboxGroup.Member m : news) {
          g.remove(m, log);
        }
        List<Replacement> back = putBack(g, oldDone, newDone, bootTimeout, log);
        return new Result(g.name(), image, replaced, back, failure, ms(t0));
      }
      String healthy = Instant.now().toString();
      for (int k = 0; k < olds.size(); k++) {
        SandboxGroup.Member old = olds.get(k);
        SandboxGroup.Member nu = news.get(k);
        g.remove(old, log);
        oldDone.add(old);
        newDone.add(nu);
        replaced.add(
            new Replacement(
                old.instanceId(),
                old.amiId(),
                nu.instanceId(),
                image,
                started,
                healthy,
                (System.nanoTime() - b0) / 1_000_000));
      }
    }
    return new Result(g.name(), image, replaced, List.of(), null, ms(t0));
  }

  /** Puts back the instances replaced so far (their old images) and removes their replacements. */
  private static List<Replacement> putBack(
      SandboxGroup g,
      List<SandboxGroup.Member> olds,
      List<SandboxGroup.Member> news,
      Duration bootTimeout,
      Consumer<String> log)
      throws KilnException {
    List<Replacement> back = new ArrayList<>();
    for (int k = 0; k < olds.size(); k++) {
      long b0 = System.nanoTime();
      String started = Instant.now().toString();
      SandboxGroup.Member old = olds.get(k);
      SandboxGroup.Member again = g.launch(old.amiId(), bootTimeout, log);
      String why = SandboxGroup.unhealthy(again);
      if (why != null) {
        throw new KilnException(
            "putting back "
                + old.amiId()
                + " in group "
                + g.name()
                + " failed too: "
                + again.instanceId()
                + " is unhealthy: "
                + why);
      }
      g.remove(news.get(k), log);
      back.add(
          new Replacement(
              news.get(k).instanceId(),
              news.get(k).amiId(),
              again.instanceId(),
              old.amiId(),
              started,
              Instant.now().toString(),
              (System.nanoTime() - b0) / 1_000_000));
    }
    return back;
  }

  private static String firstUnhealthy(List<SandboxGroup.Member> ms) {
    for (SandboxGroup.Member m : ms) {
      String why = SandboxGroup.unhealthy(m);
      if (why != null) {
        return m.instanceId() + " (" + m.amiId() + ") is unhealthy: " + why;
      }
    }
    return null;
  }

  /** Boots {@code n} instances in parallel; on any failure removes the ones that came up. */
  private static List<SandboxGroup.Member> launchAll(
      SandboxGroup g, String image, int n, Duration timeout, Consumer<String> log)
      throws KilnException {
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(n, 4));
    try {
      List<Future<SandboxGroup.Member>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        fs.add(pool.submit(() -> g.launch(image, timeout, log)));
      }
      List<SandboxGroup.Member> out = new ArrayList<>();
      KilnException first = null;
      for (Future<SandboxGroup.Member> f : fs) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          if (first == null) {
            first =
                e.getCause() instanceof KilnException k
                    ? k
                    : new KilnException(String.valueOf(e.getCause()), e.getCause());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          first = new KilnException("interrupted while launching group instances", e);
        }
      }
      if (first != null) {
        for (SandboxGroup.Member m : out) {
          g.remove(m, log);
        }
        throw first;
      }
      return out;
    } finally {
      pool.shutdown();
    }
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
