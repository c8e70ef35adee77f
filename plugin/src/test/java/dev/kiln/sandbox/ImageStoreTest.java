package dev.kiln.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.aws.ImageCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {
  @TempDir Path cache;

  private static ImageStore.Entry entry(String id, Map<String, String> tags) {
    return new ImageStore.Entry(id, "n-" + id, "eu-west-1", "x86_64", "ami-src", "/base", tags);
  }

  private Path upper(String name) throws Exception {
    Path p = cache.resolve("run/r1/" + name + "/upper");
    Files.createDirectories(p.resolve("etc"));
    Files.writeString(p.resolve("etc/marker"), name);
    return p;
  }

  @Test
  void requiredTagsAreTheCatalogsBakeKeyAndRunId() {
    assertThat(ImageStore.REQUIRED_TAGS)
        .containsExactly(ImageCatalog.TAG_BAKE_KEY, ImageCatalog.TAG_RUN_ID);
  }

  @Test
  void sweepRemovesWhatAnInterruptedOlderRunLeftAndKeepsCompleteImages() throws Exception {
    ImageStore store = new ImageStore(cache);
    Map<String, String> complete =
        Map.of(
            ImageCatalog.TAG_BAKE_KEY, "k1", ImageCatalog.TAG_RUN_ID, "run-1", "kiln:recipe", "x");
    store.add(entry("ami-00000000000000001", complete), upper("good"));
    // what an older Kiln left when interrupted right after "Packer built": recipe tag only
    store.add(entry("ami-00000000000000002", Map.of("kiln:recipe", "x")), upper("bare"));
    // a run id but no bake key
    store.add(
        entry("ami-00000000000000003", Map.of(ImageCatalog.TAG_RUN_ID, "run-2")), upper("half"));
    // an entry whose layer is gone, a layer no entry names, a temporary index
    store.add(entry("ami-00000000000000004", complete), upper("lost"));
    Files2.deleteTree(store.layer("ami-00000000000000004"));
    Files.createDirectories(store.dir().resolve("ami-00000000000000005/layer/etc"));
    Files.writeString(store.dir().resolve(".index-123.json"), "{");
    // a copy of the good image (shares its layer)
    store.alias(entry("ami-00000000000000006", complete), "ami-00000000000000001");

    List<String> log = new ArrayList<>();
    List<String> removed = store.sweep(log::add);

    assertThat(removed)
        .containsExactlyInAnyOrder(
            "ami-00000000000000002",
            "ami-00000000000000003",
            "ami-00000000000000004",
            "ami-00000000000000005",
            ".index-123.json");
    assertThat(log)
        .anyMatch(l -> l.contains("ami-00000000000000002") && l.contains("no kiln:bake-key"))
        .anyMatch(l -> l.contains("ami-00000000000000003") && l.contains("no kiln:bake-key"))
        .anyMatch(l -> l.contains("ami-00000000000000004") && l.contains("layer is gone"))
        .anyMatch(l -> l.contains("ami-00000000000000005") && l.contains("no image names it"))
        .hasSize(5);
    assertThat(store.list())
        .extracting(ImageStore.Entry::id)
        .containsExactly("ami-00000000000000001", "ami-00000000000000006");
    try (var s = Files.list(store.dir())) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "ami-00000000000000001", "ami-00000000000000006", "index.json", ".lock");
    }
    assertThat(store.layer("ami-00000000000000001").resolve("etc/marker")).hasContent("good");
    // nothing left to sweep the second time
    assertThat(store.sweep(log::add)).isEmpty();
  }
}
