package dev.kiln.cloud;

import dev.kiln.aws.ImageCatalog;
import dev.kiln.bake.RecipeBundle;
import dev.kiln.packer.PackerBuild;
import dev.kiln.spec.KilnException;

/** Where a bake happens: AWS, or the local sandbox cloud. */
public interface BakeSession extends AutoCloseable {
  String primaryRegion() throws KilnException;

  ImageCatalog catalog(String region) throws KilnException;

  /** Fails when this cloud cannot bake the recipe. */
  default void check(RecipeBundle b) throws KilnException {}

  /** Adds cloud-specific vars, environment and prefix to Packer's build; starts what it needs. */
  void prepare(RecipeBundle b, String runId, PackerBuild build) throws KilnException;

  /** After Packer registered {@code amiId} (the sandbox stores the builder's layer). */
  default void built(RecipeBundle b, String amiId, String sourceAmi, String name)
      throws KilnException {}

  /**
   * After the bake of {@code b} ended in failure: stop and discard what {@link #prepare} started.
   */
  default void failed(RecipeBundle b) {}

  /** A copy of {@code amiId} was made in another region. */
  default void copied(String amiId, String copyId, String region, String name)
      throws KilnException {}

  /** Final tags of an image (the sandbox records them for its next start). */
  default void tagged(String amiId, java.util.Map<String, String> tags) throws KilnException {}

  /** Whether an endpoint that rejects ImdsSupport is tolerated (the emulator), with a warning. */
  boolean tolerateImdsUnsupported();

  @Override
  void close();
}
