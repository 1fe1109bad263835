package dev.iommufdsim.repl.server;

/** copy_from_user() / copy_to_user() failed: the ioctl answers EFAULT. */
public final class UserFault extends Exception {
    private static final long serialVersionUID = 1L;

    UserFault(String message) {
        super(message, null, false, false);
    }
}
