package dev.iommufdsim.repl.render;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * A JUnit XML report in the shape Surefire writes, for the reports of `run --junit`,
 * `conformance --junit` and `exec --junit`: testsuites of testcases, each passed, failed,
 * in error or skipped. Parent directories are created; an XML error becomes an IOException
 * naming the file.
 */
public final class JunitXml implements AutoCloseable {
    /** What became of a testcase. */
    public enum Kind {
        PASSED, FAILURE, ERROR, SKIPPED
    }

    private final Path path;
    private final OutputStream os;
    private final XMLStreamWriter w;
    private final boolean many;

    private JunitXml(Path path, OutputStream os, XMLStreamWriter w, boolean many) {
        this.path = path;
        this.os = os;
        this.w = w;
        this.many = many;
    }

    /**
     * Starts a report at path: with {@code many}, a {@code <testsuites>} document holding
     * several suites, else a document that is one {@code <testsuite>}.
     */
    public static JunitXml open(Path path, boolean many) throws IOException {
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        OutputStream os = Files.newOutputStream(path);
        try {
            XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(os, "UTF-8");
            w.writeStartDocument("UTF-8", "1.0");
            if (many) {
                w.writeStartElement("testsuites");
            }
            return new JunitXml(path, os, w, many);
        } catch (XMLStreamException e) {
            os.close();
            throw new IOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    /** Opens a testsuite; close it with {@link #endSuite}. A negative time is left out. */
    public void suite(String name, int tests, int failures, int errors, int skipped, double seconds) throws IOException {
        try {
            w.writeStartElement("testsuite");
            w.writeAttribute("name", name);
            w.writeAttribute("tests", Integer.toString(tests));
            w.writeAttribute("failures", Integer.toString(failures));
            w.writeAttribute("errors", Integer.toString(errors));
            w.writeAttribute("skipped", Integer.toString(skipped));
            if (seconds >= 0) {
                w.writeAttribute("time", time(seconds));
            }
        } catch (XMLStreamException e) {
            throw failed(e);
        }
    }

    public void endSuite() throws IOException {
        try {
            w.writeEndElement();
        } catch (XMLStreamException e) {
            throw failed(e);
        }
    }

    /**
     * One testcase. For FAILURE, ERROR and SKIPPED, {@code message} is the element's message
     * attribute and {@code text} (may be null) its body. A negative time is left out.
     */
    public void testcase(String classname, String name, double seconds, Kind kind, String message, String text) throws IOException {
        try {
            w.writeStartElement("testcase");
            w.writeAttribute("classname", classname);
            w.writeAttribute("name", name);
            if (seconds >= 0) {
                w.writeAttribute("time", time(seconds));
            }
            if (kind != Kind.PASSED) {
                w.writeStartElement(switch (kind) {
                    case FAILURE -> "failure";
                    case ERROR -> "error";
                    default -> "skipped";
                });
                w.writeAttribute("message", message);
                if (text != null) {
                    w.writeCharacters(text);
                }
                w.writeEndElement();
            }
            w.writeEndElement();
        } catch (XMLStreamException e) {
            throw failed(e);
        }
    }

    @Override
    public void close() throws IOException {
        try (os) {
            if (many) {
                w.writeEndElement();
            }
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw failed(e);
        }
    }

    private static String time(double seconds) {
        return String.format(Locale.ROOT, "%.3f", seconds);
    }

    private IOException failed(XMLStreamException e) {
        return new IOException("cannot write " + path + ": " + e.getMessage(), e);
    }
}
