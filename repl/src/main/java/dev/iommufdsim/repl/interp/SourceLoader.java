package dev.iommufdsim.repl.interp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the files {@code source "path"} names. The default reads the file system, with the
 * path relative to the directory of the including file (or the working directory for text
 * typed at the REPL); tests supply files from memory.
 */
@FunctionalInterface
public interface SourceLoader {

    /** A loaded file: the name positions will carry, and its text. */
    record Loaded(String fileName, String text) {
    }

    /**
     * @param includingFile the file name of the script with the source statement
     * @param path          the path as written
     * @throws IOException when the file cannot be read (reported at the source statement)
     */
    Loaded load(String includingFile, String path) throws IOException;

    /** The file system, paths relative to the including file's directory. */
    static SourceLoader fileSystem() {
        return (includingFile, path) -> {
            Path p = Path.of(path);
            if (!p.isAbsolute() && !includingFile.startsWith("<")) {
                Path dir = Path.of(includingFile).getParent();
                if (dir != null) {
                    p = dir.resolve(p);
                }
            }
            p = p.normalize();
            return new Loaded(p.toString(), Files.readString(p));
        };
    }
}
