package dev.kiln.publish;

import dev.kiln.spec.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.LabelParameterVersionResponse;
import software.amazon.awssdk.services.ssm.model.ParameterHistory;
import software.amazon.awssdk.services.ssm.model.ParameterMaxVersionLimitExceededException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.ParameterVersionLabelLimitExceededException;
import software.amazon.awssdk.services.ssm.model.ParameterVersionNotFoundException;

/**
 * The Parameter Store side of publish and rollback: an {@code aws:ec2:image} parameter whose
 * versions are the published images, and a label (default {@code latest}) on the current one.
 */
public final class Parameters {
  /** The data type that lets EC2 validate the value and resolve {@code resolve:ssm:}. */
  public static final String DATA_TYPE = "aws:ec2:image";

  /** One version of a parameter. */
  public record Version(String name, long version, String value, List<String> labels) {
    public Version {
      labels = List.copyOf(labels);
    }
  }

  private final SsmClient ssm;

  public Parameters(SsmClient ssm) {
    this.ssm = ssm;
  }

  /** Puts {@code amiId} as a new version of {@code name}; returns the version number. */
  public long put(String name, String amiId) throws KilnException {
    try {
      return ssm.putParameter(
              r ->
                  r.name(name)
                      .value(amiId)
                      .type(ParameterType.STRING)
                      .dataType(DATA_TYPE)
                      .overwrite(true)
                      .description("Published by Kiln: the AMI id of a verified image"))
          .version();
    } catch (ParameterMaxVersionLimitExceededException e) {
      throw new KilnException(
          "publish.parameter",
          name
              + " has 100 versions and the oldest carries a label, so SSM cannot drop it to make"
              + " room: move that label to a newer version (aws ssm label-parameter-version) and"
              + " publish again ("
              + e.awsErrorDetails().errorMessage()
              + ")",
          List.of(),
          e);
    } catch (SdkException e) {
      throw aws("putting " + amiId + " into " + name, e);
    }
  }

  /**
   * Waits until version {@code version} of {@code name} reads {@code amiId}: EC2 validates an
   * {@code aws:ec2:image} value after PutParameter answered, and a value it rejects never becomes
   * readable. Bounded by {@code timeout}; the failure says what was last seen.
   */
  public void awaitVisible(
      String name, long version, String amiId, Duration timeout, Consumer<String> log)
      throws KilnException {
    long t0 = System.nanoTime();
    long deadline = t0 + timeout.toNanos();
    long sleep = 100;
    String last = "nothing yet";
    while (true) {
      try {
        String v = ssm.getParameter(r -> r.name(name + ":" + version)).parameter().value();
        if (amiId.equals(v)) {
          log.accept(
              "  "
                  + name
                  + ":"
                  + version
                  + " visible after "
                  + (System.nanoTime() - t0) / 1_000_000
                  + " ms");
          return;
        }
        last = "the version reads '" + Names.quote(v) + "'";
      } catch (ParameterVersionNotFoundException | ParameterNotFoundException e) {
        last = "version " + version + " not found (EC2 has not accepted the image id yet)";
      } catch (SdkException e) {
        throw aws("reading " + name + ":" + version, e);
      }
      if (System.nanoTime() > deadline) {
        throw new KilnException(
            "publish.timeout",
            name
                + ":"
                + version
                + " did not become readable with "
                + amiId
                + " within "
                + timeout.toSeconds()
                + " s: "
                + last
                + ". EC2 validates aws:ec2:image values asynchronously and drops a version whose"
                + " image it cannot see in this region and account",
            List.of(),
            null);
      }
      sleep(sleep);
      sleep = Math.min(sleep * 2, 2000);
    }
  }

  /** Moves {@code label} to {@code version} (SSM removes it from the version that had it). */
  public void label(String name, long version, String label) throws KilnException {
    try {
      LabelParameterVersionResponse r =
          ssm.labelParameterVersion(x -> x.name(name).parameterVersion(version).labels(label));
      if (!r.invalidLabels().isEmpty()) {
        throw KilnException.badParameter(
            "publish.label",
            Names.quote(label),
            "a label SSM accepts (it rejected " + r.invalidLabels() + ")");
      }
    } catch (ParameterVersionLabelLimitExceededException e) {
      throw new KilnException(
          "publish.label",
          name + ":" + version + " already has 10 labels, the most SSM allows on one version",
          List.of(),
          e);
    } catch (SdkException e) {
      throw aws("labelling " + name + ":" + version + " " + label, e);
    }
  }

  /** Every version of {@code name}, oldest first; empty when the parameter does not exist. */
  public List<Version> history(String name) throws KilnException {
    List<Version> out = new ArrayList<>();
    try {
      for (var page : ssm.getParameterHistoryPaginator(r -> r.name(name).maxResults(50))) {
        for (ParameterHistory h : page.parameters()) {
          out.add(new Version(name, h.version(), h.value(), h.labels()));
        }
      }
    } catch (ParameterNotFoundException e) {
      return List.of();
    } catch (SdkException e) {
      throw aws("reading the history of " + name, e);
    }
    out.sort(Comparator.comparingLong(Version::version));
    return out;
  }

  /** The version that carries {@code label}. */
  public static Optional<Version> labelled(List<Version> history, String label) {
    return history.stream().filter(v -> v.labels().contains(label)).findFirst();
  }

  /** Names of every {@code aws:ec2:image} parameter in the region (for prune). */
  public List<String> imageParameters() throws KilnException {
    List<String> out = new ArrayList<>();
    try {
      for (var page : ssm.describeParametersPaginator(r -> r.maxResults(50))) {
        page.parameters().stream()
            .filter(p -> DATA_TYPE.equals(p.dataType()))
            .forEach(p -> out.add(p.name()));
      }
    } catch (SdkException e) {
      throw aws("listing parameters", e);
    }
    return out;
  }

  static KilnException aws(String what, SdkException e) {
    return new KilnException("AWS error while " + what + ": " + e.getMessage(), e);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
