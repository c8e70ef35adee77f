package dev.kiln.cloud;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kiln.render.Json;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A launched candidate as {@code kiln:launch} records it ({@code instance.json}): which cloud and
 * image, its state, how to reach it and everything needed to remove it. Written after every
 * resource created, so a failure half-way, a later goal or a later Maven run can remove it.
 *
 * @param cloud the cloud's name ({@link Cloud#name()})
 * @param state {@code launching}, {@code running} or {@code terminated}
 * @param keep {@code -Dkiln.launch.keep}: the candidate outlives the build
 * @param project the output directory of the project that launched it (terminate after {@code mvn
 *     clean} finds the project's candidates by it)
 * @param record the project's record of it ({@code target/kiln/instance.json})
 * @param cacheRecord its copy under the cache directory ({@link CandidateRecords})
 * @param sandboxCacheDir sandbox only: the cache its image came from
 * @param sandbox sandbox only: its namespaces, listeners and directory
 * @param aws AWS only: the endpoint and what was created there
 * @param removed after terminate: what was removed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Candidate(
    String cloud,
    String amiId,
    String recipe,
    String runId,
    String state,
    boolean keep,
    String project,
    String record,
    String cacheRecord,
    String launchedAt,
    String instanceId,
    String host,
    Integer port,
    String sandboxCacheDir,
    CandidateState sandbox,
    Aws aws,
    String terminatedAt,
    List<String> removed) {

  public static final String LAUNCHING = "launching";
  public static final String RUNNING = "running";
  public static final String TERMINATED = "terminated";

  /** Where an AWS candidate lives and what was created for it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Aws(
      String region, String profile, String endpoint, String securityGroupId, String instanceId) {
    public Aws withSecurityGroup(String id) {
      return new Aws(region, profile, endpoint, id, instanceId);
    }

    public Aws withInstance(String id) {
      return new Aws(region, profile, endpoint, securityGroupId, id);
    }
  }

  /** A candidate about to be launched. */
  public static Candidate launching(
      String cloud, String amiId, String recipe, String runId, boolean keep, Path project) {
    return new Candidate(
        cloud,
        amiId,
        recipe,
        runId,
        LAUNCHING,
        keep,
        project == null ? null : project.toAbsolutePath().normalize().toString(),
        null,
        null,
        Instant.now().toString(),
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  @JsonIgnore
  public boolean isRunning() {
    return RUNNING.equals(state);
  }

  @JsonIgnore
  public boolean isTerminated() {
    return TERMINATED.equals(state);
  }

  /** The port as a number (0 when not known yet). */
  @JsonIgnore
  public int portNumber() {
    return port == null ? 0 : port;
  }

  public Candidate withSandbox(Path cacheDir, CandidateState s) {
    return new Candidate(
        cloud,
        amiId,
        recipe,
        runId,
        state,
        keep,
        project,
        record,
        cacheRecord,
        launchedAt,
        s.instanceId,
        host,
        port,
        cacheDir.toAbsolutePath().toString(),
        s,
        aws,
        terminatedAt,
        removed);
  }

  public Candidate withAws(Aws a) {
    return new Candidate(
        cloud,
        amiId,
        recipe,
        runId,
        state,
        keep,
        project,
        record,
        cacheRecord,
        launchedAt,
        a.instanceId() != null ? a.instanceId() : instanceId,
        host,
        port,
        sandboxCacheDir,
        sandbox,
        a,
        terminatedAt,
        removed);
  }

  /** Reachable at host:port, in the given state. */
  public Candidate at(String host, int port, String newState) {
    return new Candidate(
        cloud,
        amiId,
        recipe,
        runId,
        newState,
        keep,
        project,
        record,
        cacheRecord,
        launchedAt,
        instanceId,
        host,
        port,
        sandboxCacheDir,
        sandbox,
        aws,
        terminatedAt,
        removed);
  }

  /** Recorded in {@code record} and, as a copy, in {@code cacheRecord}. */
  public Candidate recordedIn(Path record, Path cacheRecord) {
    return new Candidate(
        cloud,
        amiId,
        recipe,
        runId,
        state,
        keep,
        project,
        record.toAbsolutePath().normalize().toString(),
        cacheRecord == null ? null : cacheRecord.toString(),
        launchedAt,
        instanceId,
        host,
        port,
        sandboxCacheDir,
        sandbox,
        aws,
        terminatedAt,
        removed);
  }

  /** Terminated now, having removed {@code what}. */
  public Candidate terminated(List<String> what) {
    return new Candidate(
        cloud,
        amiId,
        recipe,
        runId,
        TERMINATED,
        keep,
        project,
        record,
        cacheRecord,
        launchedAt,
        instanceId,
        host,
        port,
        sandboxCacheDir,
        sandbox,
        aws,
        Instant.now().toString(),
        List.copyOf(what));
  }

  /** The candidate recorded in {@code file}, or empty when there is none. */
  public static Optional<Candidate> read(Path file) throws KilnException {
    return Json.read(file, Candidate.class);
  }

  /** Records the candidate in {@code file}, atomically. */
  public void write(Path file) throws KilnException {
    try {
      Json.writeFile(file, this);
    } catch (IOException e) {
      throw new KilnException(
          "outputDir", "cannot write " + file + ": " + e.getMessage(), List.of(), e);
    }
  }
}
