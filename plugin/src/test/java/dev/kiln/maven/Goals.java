package dev.kiln.maven;

import java.io.File;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.maven.project.MavenProject;

/** Runs a goal as Maven would configure it: POM values by parameter path, and -D properties. */
final class Goals {
  private Goals() {}

  /** Every goal class, for tests that try each. */
  static final List<Class<? extends AbstractKilnMojo>> ALL =
      List.of(
          RenderMojo.class,
          ValidateMojo.class,
          BakeMojo.class,
          LaunchMojo.class,
          VerifyMojo.class,
          TerminateMojo.class,
          PruneMojo.class,
          PolicyMojo.class,
          PublishMojo.class,
          RolloutMojo.class,
          RollbackMojo.class);

  /**
   * A configured goal: {@code pom} keys are paths ({@code hardening.maxAuthTries} goes into the
   * {@code <hardening>} element as {@code <maxAuthTries>}); {@code user} are -D properties.
   */
  static AbstractKilnMojo goal(
      Class<? extends AbstractKilnMojo> type, Path base, Map<String, String> pom, Properties user)
      throws Exception {
    AbstractKilnMojo mojo = type.getDeclaredConstructor().newInstance();
    MavenProject project = new MavenProject();
    project.setFile(new File(base.toFile(), "pom.xml"));
    mojo.project = project;
    mojo.useProperties(user);
    Map<String, Map<String, Object>> elements = new LinkedHashMap<>();
    for (var e : pom.entrySet()) {
      int dot = e.getKey().indexOf('.');
      if (dot < 0) {
        field(e.getKey()).set(mojo, e.getValue());
      } else {
        elements
            .computeIfAbsent(e.getKey().substring(0, dot), g -> new LinkedHashMap<>())
            .put(e.getKey().substring(dot + 1), e.getValue());
      }
    }
    for (var e : elements.entrySet()) {
      field(e.getKey()).set(mojo, e.getValue());
    }
    return mojo;
  }

  static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  private static Field field(String name) throws NoSuchFieldException {
    Field f = KilnParameters.class.getDeclaredField(name);
    f.setAccessible(true);
    return f;
  }
}
