package dev.iommufdsim.repl.server;

/** The program's end of the connection broke in the middle of an ioctl. */
final class ClientGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClientGone(String message, Throwable cause) {
        super(message, cause);
    }
}
