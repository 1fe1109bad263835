package dev.iommufdsim.repl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A program's end of the server's socket, as the shim speaks it, for the server tests: frames,
 * ioctls, and answers to the server's memory requests as a process with all memory mapped.
 */
final class ShimClient implements AutoCloseable {
    final SocketChannel ch;

    ShimClient(Path socket) throws IOException {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
    }

    void send(int type, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(payload.length).put(payload).flip();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    ByteBuffer recv(int expectType) throws IOException {
        ByteBuffer h = read(8);
        assertEquals(expectType, h.getInt(0), "message type");
        return read(h.getInt(4));
    }

    private ByteBuffer read(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("end of stream");
            }
        }
        return b.flip();
    }

    void ioctl(int cmd, long arg, byte[] prefetch) throws IOException {
        ioctl(cmd, arg, prefetch, 0);
    }

    void ioctl(int cmd, long arg, byte[] prefetch, int pid) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + prefetch.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(cmd).putInt(pid).putLong(arg).put(prefetch);
        send(Wire.T_IOCTL, b.array());
    }

    /**
     * Answers the server's requests as a process whose memory is all mapped, pinnable and
     * without huge pages, until the call is done; returns its result.
     */
    long drive() throws IOException {
        while (true) {
            ByteBuffer h = read(8);
            ByteBuffer p = read(h.getInt(4));
            switch (h.getInt(0)) {
                case Wire.S_WRITE -> send(Wire.R_OK, new byte[0]);
                case Wire.S_READ -> send(Wire.R_DATA, new byte[p.getInt(8)]);
                case Wire.S_PROBE -> send(Wire.R_BOOL, new byte[] {1, 0, 0, 0});
                case Wire.S_HUGE -> send(Wire.R_DATA, new byte[0]);
                case Wire.S_DONE -> {
                    return p.getLong(0);
                }
                default -> throw new IOException("unexpected request " + h.getInt(0));
            }
        }
    }

    /** One ioctl from process pid with its struct prefetched at arg; the result the server answers. */
    long call(int cmd, long arg, byte[] struct, int pid) throws IOException {
        ioctl(cmd, arg, struct, pid);
        return drive();
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
