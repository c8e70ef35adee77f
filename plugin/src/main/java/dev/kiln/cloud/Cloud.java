package dev.kiln.cloud;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.ImagePrune;
import dev.kiln.bake.BakeLog;
import dev.kiln.bake.BakeRequest;
import dev.kiln.bake.BakeResult;
import dev.kiln.bake.RecipeBundle;
import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launcher;
import dev.kiln.probe.Target;
import dev.kiln.sandbox.Sandbox;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where Kiln bakes, launches, verifies, prunes and publishes: AWS, or the local sandbox cloud.
 * Chosen once from the parameters by {@link Clouds#choose}; every goal then asks it instead of
 * looking at the cloud's name.
 */
public sealed interface Cloud permits AwsCloud, SandboxCloud {

  /** {@code aws} or {@code sandbox}: what records and messages say. */
  String name();

  /** The settings this cloud was chosen from (recorded with candidates to find it again). */
  CloudSettings settings();

  /** The region images are baked in and candidates launched in. */
  String region() throws KilnException;

  /** Opens a bake: Packer's settings, the image catalogues, what a failed bake must discard. */
  BakeSession bake(List<RecipeBundle> bundles, BakeLog log) throws KilnException;

  /**
   * The images of {@code bundles} when they can be answered without opening the cloud (the
   * sandbox's image index); empty means "open it and look".
   */
  default Optional<List<BakeResult.Image>> reuseWithoutOpening(
      BakeRequest req, List<RecipeBundle> bundles, BakeLog log) throws KilnException {
    return Optional.empty();
  }

  /**
   * Boots a candidate of {@code start.amiId()}; {@code record} is called after every resource
   * created (so that a failure half-way can be cleaned up from the record); {@code banner} waits
   * for the SSH banner of a candidate reached over the network.
   *
   * @return the running candidate, answering at its host and port
   */
  Candidate launch(
      LaunchRequest req,
      Candidate start,
      Consumer<Candidate> record,
      Launcher.BannerWait banner,
      Consumer<String> log)
      throws KilnException;

  /** Removes what {@code c} records; returns what was removed. Idempotent. */
  List<String> terminate(Candidate c) throws KilnException;

  /** The running candidate as verify's probes see it. */
  Target target(Candidate c) throws KilnException;

  /** Adds tags to an image. */
  void tagImage(String amiId, Map<String, String> tags) throws KilnException;

  /**
   * Removes images of {@code recipes} beyond the newest {@code keep}, never one in {@code kept}
   * (image → why).
   */
  List<ImagePrune.Pruned> prune(
      List<String> recipes,
      int keep,
      Map<String, String> kept,
      boolean dryRun,
      Consumer<String> log)
      throws KilnException;

  /**
   * Images that candidates outside the cloud's own instance list run (image → which candidate),
   * which prune must keep: the sandbox's candidates; on AWS, instances are in the catalogue's view.
   */
  default Map<String, String> imagesInUse() throws KilnException {
    return Map.of();
  }

  /** The cloud's API (SSM, EC2, Auto Scaling): AWS, or the sandbox's emulator. */
  Api api(Consumer<String> log) throws KilnException;

  /** An open API session; closing it closes the clients and the sandbox it started. */
  record Api(AwsClients clients, String region, Sandbox sandbox) implements AutoCloseable {
    @Override
    public void close() {
      clients.close();
      if (sandbox != null) {
        sandbox.close();
      }
    }
  }
}
