package dev.kiln.bake;

import dev.kiln.packer.PackerLog;

/** The bake's log: Kiln's own lines and Packer's progress. */
public interface BakeLog extends PackerLog {
  static BakeLog of(java.util.function.Consumer<String> sink) {
    return new BakeLog() {
      @Override
      public void info(String line) {
        sink.accept(line);
      }

      @Override
      public void warn(String line) {
        sink.accept("WARN " + line);
      }
    };
  }
}
