package dev.kiln.publish;

import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnFailure;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AlarmSpecification;
import software.amazon.awssdk.services.autoscaling.model.DesiredConfiguration;
import software.amazon.awssdk.services.autoscaling.model.LaunchTemplateSpecification;
import software.amazon.awssdk.services.autoscaling.model.RefreshPreferences;
import software.amazon.awssdk.services.autoscaling.model.RefreshStrategy;
import software.amazon.awssdk.services.autoscaling.model.StartInstanceRefreshRequest;

/**
 * {@code kiln:rollout} on AWS: an Auto Scaling instance refresh to an explicit launch template
 * version (with an explicit image id, so auto rollback stays possible), skipping instances that
 * already match, and a wait with progress lines that fails the build unless it succeeds.
 */
public final class InstanceRefresh {
  /** What to refresh. */
  public record Settings(
      String group,
      String launchTemplateId,
      long launchTemplateVersion,
      int minHealthyPercentage,
      int maxHealthyPercentage,
      boolean autoRollback,
      List<String> alarms,
      Duration timeout) {
    public Settings {
      alarms = List.copyOf(alarms);
    }
  }

  /** States that end the wait with a failed build. */
  static final Set<String> FAILED =
      Set.of("Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed");

  private static final String EXAMPLE = "<rollout><alarms>";

  private InstanceRefresh() {}

  /** Checks the settings; the failure names the parameter. */
  static void check(Settings s) throws KilnException {
    Names.group("rollout.group", s.group());
    if (s.minHealthyPercentage() < 0 || s.minHealthyPercentage() > 100) {
      throw KilnException.badParameter(
          "rollout.minHealthyPercentage", s.minHealthyPercentage(), "a percentage from 0 to 100");
    }
    if (s.maxHealthyPercentage() < 100
        || s.maxHealthyPercentage() > 200
        || s.maxHealthyPercentage() - s.minHealthyPercentage() > 100) {
      throw KilnException.badParameter(
          "rollout.maxHealthyPercentage",
          s.maxHealthyPercentage(),
          "a percentage from 100 to 200, at most minHealthyPercentage + 100");
    }
    if (s.launchTemplateId() == null || !s.launchTemplateId().matches("lt-[0-9a-f]{17}")) {
      throw KilnException.badParameter(
          "publish.launchTemplate",
          Names.quote(s.launchTemplateId()),
          "the launch template that kiln:publish gave a version (lt- and 17 hex digits); the"
              + " rollout needs its explicit version, so publish with <publish><launchTemplate>");
    }
    if (s.launchTemplateVersion() < 1) {
      throw KilnException.badParameter(
          "publish.launchTemplate", s.launchTemplateVersion(), "a version number ≥ 1");
    }
    for (String a : s.alarms()) {
      if (!a.matches("[A-Za-z0-9][A-Za-z0-9._:/#+=@-]{0,254}")) {
        throw KilnException.badParameter(
            "rollout.alarms", Names.quote(a), "CloudWatch alarm names (" + EXAMPLE + ")");
      }
    }
    if (!s.alarms().isEmpty() && !s.autoRollback()) {
      throw KilnException.badParameter(
          "rollout.alarms",
          String.join(",", s.alarms()),
          "no alarms unless <rollout><autoRollback> is true (an alarm in ALARM state rolls the"
              + " refresh back)");
    }
  }

  /** The request Kiln sends. */
  public static StartInstanceRefreshRequest request(Settings s) throws KilnException {
    check(s);
    RefreshPreferences.Builder p =
        RefreshPreferences.builder()
            .minHealthyPercentage(s.minHealthyPercentage())
            .skipMatching(true)
            .autoRollback(s.autoRollback());
    // 100 is AWS's own default (terminate, then launch); above it, new instances launch first.
    if (s.maxHealthyPercentage() != 100) {
      p.maxHealthyPercentage(s.maxHealthyPercentage());
    }
    if (!s.alarms().isEmpty()) {
      p.alarmSpecification(AlarmSpecification.builder().alarms(s.alarms()).build());
    }
    return StartInstanceRefreshRequest.builder()
        .autoScalingGroupName(s.group())
        .strategy(RefreshStrategy.ROLLING)
        .desiredConfiguration(
            DesiredConfiguration.builder()
                .launchTemplate(
                    LaunchTemplateSpecification.builder()
                        .launchTemplateId(s.launchTemplateId())
                        .version(Long.toString(s.launchTemplateVersion()))
                        .build())
                .build())
        .preferences(p.build())
        .build();
  }

  /** Starts the refresh and waits for it; returns its id. Fails unless it ends Successful. */
  public static String run(AutoScalingClient asg, Settings s, Duration poll, Consumer<String> log)
      throws KilnException {
    StartInstanceRefreshRequest req = request(s);
    String id;
    try {
      id = asg.startInstanceRefresh(req).instanceRefreshId();
    } catch (SdkException e) {
      throw Parameters.aws("starting an instance refresh of " + s.group(), e);
    }
    log.accept(
        "Instance refresh "
            + id
            + " of "
            + s.group()
            + " to "
            + s.launchTemplateId()
            + " version "
            + s.launchTemplateVersion()
            + " (min healthy "
            + s.minHealthyPercentage()
            + "%"
            + (s.maxHealthyPercentage() != 100
                ? ", max healthy " + s.maxHealthyPercentage() + "%"
                : "")
            + ", skip matching"
            + (s.autoRollback() ? ", auto rollback" : "")
            + ")");
    long t0 = System.nanoTime();
    String last = "";
    while (true) {
      software.amazon.awssdk.services.autoscaling.model.InstanceRefresh r;
      try {
        r =
            asg
                .describeInstanceRefreshes(
                    x -> x.autoScalingGroupName(s.group()).instanceRefreshIds(id))
                .instanceRefreshes()
                .stream()
                .findFirst()
                .orElseThrow(() -> new KilnException("instance refresh " + id + " disappeared"));
      } catch (SdkException e) {
        throw Parameters.aws("describing instance refresh " + id, e);
      }
      String status = r.statusAsString();
      String line =
          status
              + (r.percentageComplete() == null ? "" : " " + r.percentageComplete() + "%")
              + (r.instancesToUpdate() == null ? "" : ", " + r.instancesToUpdate() + " to update")
              + (r.statusReason() == null ? "" : " — " + r.statusReason());
      if (!line.equals(last)) {
        log.accept("  " + line + " (" + (System.nanoTime() - t0) / 1_000_000_000 + " s)");
        last = line;
      }
      if ("Successful".equals(status)) {
        return id;
      }
      if (FAILED.contains(status)) {
        throw new KilnFailure(
            "instance refresh " + id + " of " + s.group() + " ended " + status,
            r.statusReason() == null ? List.of() : List.of(r.statusReason()));
      }
      if (System.nanoTime() - t0 > s.timeout().toNanos()) {
        throw new KilnException(
            "rollout.timeout",
            "instance refresh "
                + id
                + " of "
                + s.group()
                + " is still "
                + status
                + " after "
                + s.timeout().toSeconds()
                + " s; it goes on in AWS (aws autoscaling cancel-instance-refresh to stop it)",
            List.of(),
            null);
      }
      Parameters.sleep(poll.toMillis());
    }
  }
}
