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
    Copy c = new Copy();
    c.cloud = cloud;
    c.amiId = amiId;
    c.recipe = recipe;
    c.runId = runId;
    c.state = LAUNCHING;
    c.keep = keep;
    c.project = project == null ? null : project.toAbsolutePath().normalize().toString();
    c.launchedAt = Instant.now().toString();
    return c.build();
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
    Copy c = new Copy(this);
    c.instanceId = s.instanceId;
    c.sandboxCacheDir = cacheDir.toAbsolutePath().toString();
    c.sandbox = s;
    return c.build();
  }

  public Candidate withAws(Aws a) {
    Copy c = new Copy(this);
    if (a.instanceId() != null) {
      c.instanceId = a.instanceId();
    }
    c.aws = a;
    return c.build();
  }

  /** Reachable at host:port, in the given state. */
  public Candidate at(String host, int port, String newState) {
    Copy c = new Copy(this);
    c.host = host;
    c.port = port;
    c.state = newState;
    return c.build();
  }

  /** Recorded in {@code record} and, as a copy, in {@code cacheRecord}. */
  public Candidate recordedIn(Path record, Path cacheRecord) {
    Copy c = new Copy(this);
    c.record = record.toAbsolutePath().normalize().toString();
    c.cacheRecord = cacheRecord == null ? null : cacheRecord.toString();
    return c.build();
  }

  /** Terminated now, having removed {@code what}. */
  public Candidate terminated(List<String> what) {
    Copy c = new Copy(this);
    c.state = TERMINATED;
    c.terminatedAt = Instant.now().toString();
    c.removed = List.copyOf(what);
    return c.build();
  }

  /** The record's fields, so that each change above names only what it changes. */
  private static final class Copy {
    String cloud;
    String amiId;
    String recipe;
    String runId;
    String state;
    boolean keep;
    String project;
    String record;
    String cacheRecord;
    String launchedAt;
    String instanceId;
    String host;
    Integer port;
    String sandboxCacheDir;
    CandidateState sandbox;
    Aws aws;
    String terminatedAt;
    List<String> removed;

    Copy() {}

    Copy(Candidate c) {
      cloud = c.cloud;
      amiId = c.amiId;
      recipe = c.recipe;
      runId = c.runId;
      state = c.state;
      keep = c.keep;
      project = c.project;
      record = c.record;
      cacheRecord = c.cacheRecord;
      launchedAt = c.launchedAt;
      instanceId = c.instanceId;
      host = c.host;
      port = c.port;
      sandboxCacheDir = c.sandboxCacheDir;
      sandbox = c.sandbox;
      aws = c.aws;
      terminatedAt = c.terminatedAt;
      removed = c.removed;
    }

    Candidate build() {
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
          instanceId,
          host,
          port,
          sandboxCacheDir,
          sandbox,
          aws,
          terminatedAt,
          removed);
    }
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
