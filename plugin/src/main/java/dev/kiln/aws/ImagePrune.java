package dev.kiln.aws;

import static dev.kiln.aws.ImageCatalog.TAG_RECIPE;
import static dev.kiln.aws.ImageCatalog.filter;
import static dev.kiln.aws.ImageCatalog.snapshots;
import static dev.kiln.aws.ImageCatalog.tags;

import dev.kiln.spec.KilnException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Image;

/** {@code kiln:prune} in one region: the newest images per recipe stay, and every image in use. */
public final class ImagePrune {
  private final ImageCatalog catalog;
  private final Ec2Client ec2;

  public ImagePrune(ImageCatalog catalog) {
    this.catalog = catalog;
    this.ec2 = catalog.ec2();
  }

  private KilnException aws(String what, SdkException e) {
    return catalog.aws(what, e);
  }

  /** What prune kept and removed for one recipe. */
  public record Pruned(
      String recipe, List<String> kept, List<String> inUse, List<String> removed) {}

  /**
   * Keeps the newest {@code keep} images per recipe (tag {@code kiln:recipe}, by CreationDate then
   * id), never one used by an instance that is not terminated or by a launch template's default or
   * latest version; deregisters the rest and deletes their snapshots (unless {@code dryRun}).
   */
  public List<Pruned> prune(List<String> recipes, int keep, boolean dryRun, Consumer<String> log)
      throws KilnException {
    return prune(recipes, keep, Map.of(), dryRun, log);
  }

  /**
   * As {@link #prune(List, int, boolean, Consumer)}, and never an image of {@code published} (image
   * id → the rules that keep it: parameter labels and versions, launch template versions, sandbox
   * groups). Logs the rule that kept each image beyond the newest {@code keep}.
   */
  public List<Pruned> prune(
      List<String> recipes,
      int keep,
      Map<String, String> published,
      boolean dryRun,
      Consumer<String> log)
      throws KilnException {
    if (keep < 0) {
      throw KilnException.badParameter("prune.keep", keep, "a number of images ≥ 0");
    }
    try {
      Set<String> inUse = imagesInUse();
      Map<String, List<Image>> byRecipe = new LinkedHashMap<>();
      for (Image i :
          ec2.describeImages(r -> r.owners("self").filters(filter("tag-key", TAG_RECIPE)))
              .images()) {
        String recipe = tags(i).get(TAG_RECIPE);
        if (recipe != null && (recipes.isEmpty() || recipes.contains(recipe))) {
          byRecipe.computeIfAbsent(recipe, k -> new ArrayList<>()).add(i);
        }
      }
      List<Pruned> out = new ArrayList<>();
      for (var e : byRecipe.entrySet()) {
        List<Image> images = new ArrayList<>(e.getValue());
        images.sort(ImageCatalog.NEWEST.reversed());
        List<String> kept = new ArrayList<>();
        List<String> used = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (int n = 0; n < images.size(); n++) {
          Image i = images.get(n);
          if (n < keep) {
            kept.add(i.imageId());
            log.accept(
                "Keeping " + i.imageId() + ": one of the newest " + keep + " (<prune><keep>)");
          } else if (inUse.contains(i.imageId())) {
            used.add(i.imageId());
            log.accept(
                "Keeping " + i.imageId() + ": used by an instance or a launch template version");
          } else if (published.containsKey(i.imageId())) {
            used.add(i.imageId());
            log.accept("Keeping " + i.imageId() + ": " + published.get(i.imageId()));
          } else {
            removed.add(i.imageId());
            log.accept(
                (dryRun ? "Would deregister " : "Deregistering ")
                    + i.imageId()
                    + " ("
                    + e.getKey()
                    + ", "
                    + i.creationDate()
                    + ")");
            if (!dryRun) {
              List<String> snaps = snapshots(i);
              ec2.deregisterImage(r -> r.imageId(i.imageId()));
              for (String s : snaps) {
                ec2.deleteSnapshot(r -> r.snapshotId(s));
              }
            }
          }
        }
        out.add(new Pruned(e.getKey(), kept, used, removed));
      }
      return out;
    } catch (SdkException e) {
      throw aws("pruning images", e);
    }
  }

  /** Image ids used by non-terminated instances and by launch templates (default and latest). */
  Set<String> imagesInUse() {
    Set<String> used = new HashSet<>();
    ec2.describeInstancesPaginator(
            r ->
                r.filters(
                    filter(
                        "instance-state-name",
                        "pending",
                        "running",
                        "stopping",
                        "stopped",
                        "shutting-down")))
        .reservations()
        .forEach(res -> res.instances().forEach(i -> used.add(i.imageId())));
    try {
      for (var lt : ec2.describeLaunchTemplates().launchTemplates()) {
        ec2.describeLaunchTemplateVersions(
                r -> r.launchTemplateId(lt.launchTemplateId()).versions("$Latest", "$Default"))
            .launchTemplateVersions()
            .forEach(
                v -> {
                  if (v.launchTemplateData() != null && v.launchTemplateData().imageId() != null) {
                    used.add(v.launchTemplateData().imageId());
                  }
                });
      }
    } catch (AwsServiceException e) {
      // no launch template permission: instances still protect their images
    }
    return used;
  }
}
