package dev.kiln.publish;

import dev.kiln.render.Json;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.LaunchTemplate;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The sandbox's parameters (every version, its labels) and launch templates (every version's image,
 * the default), persisted in {@code <cacheDir>/publish/state.json}. The emulator starts empty in
 * each Maven run: {@link #restore} replays the record into it (same version numbers, same labels,
 * same default), {@link #save} records its state after a goal changed it, as the image store does
 * for images. Launch template ids are the emulator's and change between runs; names do not.
 */
public final class SandboxRecord {
  private final Path dir;

  public SandboxRecord(Path cacheDir) {
    this.dir = cacheDir.resolve("publish");
  }

  public Path file() {
    return dir.resolve("state.json");
  }

  /** The record: {@code parameters} name → versions, {@code templates} name → versions/default. */
  public Map<String, Object> read() throws KilnException {
    return Json.readMap(file()).orElse(Map.of());
  }

  /** Replays the record into an empty emulator. */
  @SuppressWarnings("unchecked")
  public void restore(SsmClient ssm, Ec2Client ec2) throws KilnException {
    Map<String, Object> doc = read();
    try {
      var params = (Map<String, Object>) doc.getOrDefault("parameters", Map.of());
      for (var e : params.entrySet()) {
        for (Object o : (List<Object>) e.getValue()) {
          Map<String, Object> v = (Map<String, Object>) o;
          if (!(v.get("version") instanceof Number n) || !(v.get("value") instanceof String)) {
            throw new KilnException(
                "the sandbox record "
                    + file()
                    + " has a version of "
                    + e.getKey()
                    + " without a"
                    + " version number or value");
          }
          long want = n.longValue();
          long got =
              ssm.putParameter(
                      r ->
                          r.name(e.getKey())
                              .value((String) v.get("value"))
                              .type(ParameterType.STRING)
                              .dataType(Parameters.DATA_TYPE)
                              .overwrite(true))
                  .version();
          if (got != want) {
            throw new KilnException(
                "the sandbox record "
                    + file()
                    + " does not replay: "
                    + e.getKey()
                    + " version "
                    + want
                    + " came back as "
                    + got);
          }
          List<String> labels = (List<String>) v.getOrDefault("labels", List.of());
          if (!labels.isEmpty()) {
            ssm.labelParameterVersion(
                r -> r.name(e.getKey()).parameterVersion(want).labels(labels));
          }
        }
      }
      var templates = (Map<String, Object>) doc.getOrDefault("templates", Map.of());
      for (var e : templates.entrySet()) {
        Map<String, Object> t = (Map<String, Object>) e.getValue();
        List<Object> versions = (List<Object>) t.getOrDefault("versions", List.of());
        String id = null;
        for (Object o : versions) {
          Map<String, Object> v = (Map<String, Object>) o;
          String image = (String) v.get("imageId");
          String desc = (String) v.get("description");
          if (id == null) {
            id =
                ec2.createLaunchTemplate(
                        r ->
                            r.launchTemplateName(e.getKey())
                                .versionDescription(desc)
                                .launchTemplateData(d -> d.imageId(image)))
                    .launchTemplate()
                    .launchTemplateId();
          } else {
            String tid = id;
            ec2.createLaunchTemplateVersion(
                r ->
                    r.launchTemplateId(tid)
                        .versionDescription(desc)
                        .launchTemplateData(d -> d.imageId(image)));
          }
        }
        Object def = t.get("defaultVersion");
        if (id != null && def instanceof Number n && n.longValue() != 1) {
          String tid = id;
          ec2.modifyLaunchTemplate(r -> r.launchTemplateId(tid).defaultVersion(n.toString()));
        }
      }
    } catch (SdkException | ClassCastException e) {
      throw new KilnException(
          "cannot restore the sandbox's parameters and launch templates from "
              + file()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Forgets a parameter and a launch template (the sandbox has no other way to delete them; tests
   * use it so that their releases do not pile up in the user's cache and keep images from prune).
   */
  @SuppressWarnings("unchecked")
  public void forget(String parameter, String template) throws KilnException {
    Map<String, Object> doc = new LinkedHashMap<>(read());
    Map<String, Object> params =
        new LinkedHashMap<>((Map<String, Object>) doc.getOrDefault("parameters", Map.of()));
    Map<String, Object> lts =
        new LinkedHashMap<>((Map<String, Object>) doc.getOrDefault("templates", Map.of()));
    params.remove(parameter);
    lts.remove(template);
    doc.put("parameters", params);
    doc.put("templates", lts);
    write(doc);
  }

  /** Records the emulator's image parameters and launch templates (atomically, under a lock). */
  public void save(SsmClient ssm, Ec2Client ec2) throws KilnException {
    Parameters parameters = new Parameters(ssm);
    Map<String, Object> params = new LinkedHashMap<>();
    for (String name : parameters.imageParameters()) {
      List<Map<String, Object>> vs = new ArrayList<>();
      for (Parameters.Version v : parameters.history(name)) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", v.version());
        m.put("value", v.value());
        m.put("labels", v.labels());
        vs.add(m);
      }
      params.put(name, vs);
    }
    Templates templates = new Templates(ec2);
    Map<String, Object> lts = new LinkedHashMap<>();
    for (LaunchTemplate lt : templates.all()) {
      List<Map<String, Object>> vs = new ArrayList<>();
      long def = 1;
      for (Templates.Version v : templates.versions(lt.launchTemplateId())) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", v.version());
        m.put("imageId", v.imageId());
        m.put("description", v.description());
        vs.add(m);
        if (v.isDefault()) {
          def = v.version();
        }
      }
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("defaultVersion", def);
      t.put("versions", vs);
      lts.put(lt.launchTemplateName(), t);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("parameters", params);
    doc.put("templates", lts);
    write(doc);
  }

  private void write(Map<String, Object> doc) throws KilnException {
    try {
      Files.createDirectories(dir);
      try (FileChannel ch =
              FileChannel.open(
                  dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = ch.lock()) {
        Json.save(file(), doc);
      }
    } catch (IOException e) {
      throw new KilnException("cannot record " + file() + ": " + e.getMessage(), e);
    }
  }
}
