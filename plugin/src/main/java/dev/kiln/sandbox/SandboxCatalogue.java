package dev.kiln.sandbox;

import dev.kiln.spec.KilnException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The AMI catalogue a session's emulator starts with. */
final class SandboxCatalogue {
  private SandboxCatalogue() {}

  /** moto catalogue entries: the sources, then every stored image with its tags and fixed id. */
  static List<Map<String, Object>> of(ImageStore images, List<SourceImage> sources)
      throws KilnException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (SourceImage s : sources) {
      out.add(ami(s.id(), s.name(), s.ownerId(), s.architecture(), true, Map.of()));
    }
    for (ImageStore.Entry e : images.list()) {
      if (out.stream().noneMatch(m -> m.get("ami_id").equals(e.id()))) {
        out.add(ami(e.id(), e.name(), Emulator.ACCOUNT_ID, e.architecture(), false, e.tags()));
      }
    }
    return out;
  }

  private static Map<String, Object> ami(
      String id, String name, String owner, String arch, boolean pub, Map<String, String> tags) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ami_id", id);
    m.put("name", name);
    m.put("description", "Kiln sandbox image");
    m.put("owner_id", owner);
    m.put("public", pub);
    m.put("virtualization_type", "hvm");
    m.put("architecture", arch == null ? "x86_64" : arch);
    m.put("state", "available");
    m.put("hypervisor", "xen");
    m.put("root_device_type", "ebs");
    m.put("root_device_name", "/dev/xvda");
    m.put("sriov", "simple");
    if (!tags.isEmpty()) {
      m.put("tags", tags);
    }
    return m;
  }
}
