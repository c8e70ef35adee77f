package dev.kiln.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnFailure;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.DescribeInstanceRefreshesRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeInstanceRefreshesResponse;
import software.amazon.awssdk.services.autoscaling.model.InstanceRefresh;
import software.amazon.awssdk.services.autoscaling.model.RefreshStrategy;
import software.amazon.awssdk.services.autoscaling.model.StartInstanceRefreshRequest;
import software.amazon.awssdk.services.autoscaling.model.StartInstanceRefreshResponse;

/**
 * The AWS rollout's requests and its wait, against a recording Auto Scaling client: the emulator
 * (moto) does not implement instance refresh, so no test here reaches a real or emulated Auto
 * Scaling service. What is asserted is what Kiln sends and how it reads the answers.
 */
class InstanceRefreshTest {
  static final String LT = "lt-0123456789abcdef0";

  static dev.kiln.publish.InstanceRefresh.Settings settings(
      int min, boolean autoRollback, List<String> alarms) {
    return new dev.kiln.publish.InstanceRefresh.Settings(
        "web-asg", LT, 7, min, 100, autoRollback, alarms, Duration.ofSeconds(5));
  }

  /** Answers StartInstanceRefresh with an id and DescribeInstanceRefreshes with given states. */
  static final class Recording implements AutoScalingClient {
    final List<StartInstanceRefreshRequest> starts = new ArrayList<>();
    final Deque<String> states;

    Recording(String... states) {
      this.states = new ArrayDeque<>(List.of(states));
    }

    @Override
    public StartInstanceRefreshResponse startInstanceRefresh(StartInstanceRefreshRequest r) {
      starts.add(r);
      return StartInstanceRefreshResponse.builder().instanceRefreshId("ir-1").build();
    }

    @Override
    public DescribeInstanceRefreshesResponse describeInstanceRefreshes(
        DescribeInstanceRefreshesRequest r) {
      assertThat(r.autoScalingGroupName()).isEqualTo("web-asg");
      assertThat(r.instanceRefreshIds()).containsExactly("ir-1");
      String s = states.size() > 1 ? states.pop() : states.peek();
      return DescribeInstanceRefreshesResponse.builder()
          .instanceRefreshes(
              InstanceRefresh.builder()
                  .instanceRefreshId("ir-1")
                  .status(s)
                  .percentageComplete(s.equals("Successful") ? 100 : 50)
                  .statusReason(s.startsWith("Rollback") ? "alarm cpu-high in ALARM" : null)
                  .build())
          .build();
    }

    @Override
    public String serviceName() {
      return "autoscaling";
    }

    @Override
    public void close() {}
  }

  @Test
  void requestNamesTheExplicitTemplateVersionSkipsMatchingAndKeeps90PercentByDefault()
      throws Exception {
    StartInstanceRefreshRequest r =
        dev.kiln.publish.InstanceRefresh.request(settings(90, false, List.of()));
    assertThat(r.autoScalingGroupName()).isEqualTo("web-asg");
    assertThat(r.strategy()).isEqualTo(RefreshStrategy.ROLLING);
    assertThat(r.desiredConfiguration().launchTemplate().launchTemplateId()).isEqualTo(LT);
    // an explicit number, never $Latest/$Default: auto rollback needs it
    assertThat(r.desiredConfiguration().launchTemplate().version()).isEqualTo("7");
    assertThat(r.preferences().skipMatching()).isTrue();
    assertThat(r.preferences().minHealthyPercentage()).isEqualTo(90);
    assertThat(r.preferences().autoRollback()).isFalse();
    assertThat(r.preferences().alarmSpecification()).isNull();
    // AWS's default of 100 (terminate first) is left to AWS: not sent.
    assertThat(r.preferences().maxHealthyPercentage()).isNull();
  }

  @Test
  void maxHealthyAbove100IsSentAndAWiderRangeThan100IsRefused() throws Exception {
    StartInstanceRefreshRequest r =
        dev.kiln.publish.InstanceRefresh.request(
            new dev.kiln.publish.InstanceRefresh.Settings(
                "web-asg", LT, 7, 100, 200, false, List.of(), Duration.ofSeconds(5)));
    assertThat(r.preferences().minHealthyPercentage()).isEqualTo(100);
    assertThat(r.preferences().maxHealthyPercentage()).isEqualTo(200);
    assertThatThrownBy(
            () ->
                dev.kiln.publish.InstanceRefresh.request(
                    new dev.kiln.publish.InstanceRefresh.Settings(
                        "web-asg", LT, 7, 90, 200, false, List.of(), Duration.ofSeconds(5))))
        .satisfies(
            e ->
                assertThat(((KilnException) e).parameter())
                    .contains("rollout.maxHealthyPercentage"));
  }

  @Test
  void autoRollbackCarriesTheAlarms() throws Exception {
    StartInstanceRefreshRequest r =
        dev.kiln.publish.InstanceRefresh.request(settings(100, true, List.of("cpu-high", "5xx")));
    assertThat(r.preferences().autoRollback()).isTrue();
    assertThat(r.preferences().minHealthyPercentage()).isEqualTo(100);
    assertThat(r.preferences().alarmSpecification().alarms()).containsExactly("cpu-high", "5xx");
  }

  @Test
  void badSettingsNameTheirParameterAndNothingIsSent() {
    Recording asg = new Recording("Successful");
    assertThatThrownBy(
            () ->
                dev.kiln.publish.InstanceRefresh.run(
                    asg, settings(101, false, List.of()), Duration.ZERO, l -> {}))
        .isInstanceOf(KilnException.class)
        .satisfies(
            e ->
                assertThat(((KilnException) e).parameter())
                    .contains("rollout.minHealthyPercentage"));
    assertThatThrownBy(
            () ->
                dev.kiln.publish.InstanceRefresh.request(settings(90, false, List.of("cpu-high"))))
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("rollout.alarms"));
    assertThatThrownBy(
            () ->
                dev.kiln.publish.InstanceRefresh.request(
                    new dev.kiln.publish.InstanceRefresh.Settings(
                        "web-asg", null, 0, 90, 100, false, List.of(), Duration.ofSeconds(1))))
        .satisfies(
            e -> assertThat(((KilnException) e).parameter()).contains("publish.launchTemplate"));
    assertThatThrownBy(
            () ->
                dev.kiln.publish.InstanceRefresh.request(
                    new dev.kiln.publish.InstanceRefresh.Settings(
                        "web asg; rm", LT, 1, 90, 100, false, List.of(), Duration.ofSeconds(1))))
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("rollout.group"));
    assertThat(asg.starts).isEmpty();
  }

  @Test
  void waitsWithProgressUntilSuccessful() throws Exception {
    Recording asg = new Recording("Pending", "InProgress", "InProgress", "Successful");
    List<String> log = new ArrayList<>();
    Consumer<String> l = log::add;
    String id =
        dev.kiln.publish.InstanceRefresh.run(asg, settings(90, false, List.of()), Duration.ZERO, l);
    assertThat(id).isEqualTo("ir-1");
    assertThat(asg.starts).hasSize(1);
    assertThat(log)
        .anyMatch(x -> x.contains("InProgress 50%"))
        .anyMatch(x -> x.contains("Successful 100%"));
  }

  @Test
  void failedCancelledAndRolledBackRefreshesFailTheBuild() {
    for (String end : List.of("Failed", "Cancelled", "RollbackSuccessful")) {
      Recording asg = new Recording("InProgress", end);
      assertThatThrownBy(
              () ->
                  dev.kiln.publish.InstanceRefresh.run(
                      asg, settings(90, true, List.of("cpu-high")), Duration.ZERO, l -> {}))
          .isInstanceOf(KilnFailure.class)
          .hasMessageContaining("ended " + end);
    }
  }

  @Test
  void aRefreshStillRunningAtTheTimeoutFailsNamingTheParameter() {
    Recording asg = new Recording("InProgress");
    assertThatThrownBy(
            () ->
                dev.kiln.publish.InstanceRefresh.run(
                    asg,
                    new dev.kiln.publish.InstanceRefresh.Settings(
                        "web-asg", LT, 7, 90, 100, false, List.of(), Duration.ofMillis(50)),
                    Duration.ofMillis(10),
                    l -> {}))
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("rollout.timeout"));
  }
}
