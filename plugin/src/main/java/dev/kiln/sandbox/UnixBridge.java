package dev.kiln.sandbox;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP listener on host loopback ({@code 127.0.0.1:<free port>}) that forwards every connection to
 * a Unix socket. The socket's other end is served inside a network namespace, so the JVM (host
 * namespace) reaches the emulator without any non-loopback address on the host.
 */
public final class UnixBridge implements AutoCloseable {
  private final ServerSocketChannel server;
  private final Path socket;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;

  public UnixBridge(Path socket) throws IOException {
    this.socket = socket;
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    acceptor = new Thread(this::acceptLoop, "kiln-bridge-" + port());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The host-loopback port. */
  public int port() {
    try {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      open.add(client);
      Thread t =
          new Thread(
              () -> {
                try (SocketChannel c = client;
                    SocketChannel u = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                  u.connect(UnixDomainSocketAddress.of(socket));
                  open.add(u);
                  Thread back = new Thread(() -> pump(u, c), "kiln-bridge-back");
                  back.setDaemon(true);
                  back.start();
                  pump(c, u);
                  back.join(30_000);
                } catch (IOException | InterruptedException e) {
                  // connection over
                } finally {
                  open.remove(client);
                }
              },
              "kiln-bridge-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void pump(SocketChannel from, SocketChannel to) {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    try {
      while (from.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          to.write(buf);
        }
        buf.clear();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      // either side closed
    } finally {
      open.remove(from);
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // closing
    }
    for (SocketChannel c : open) {
      try {
        c.close();
      } catch (IOException e) {
        // closing
      }
    }
  }
}
