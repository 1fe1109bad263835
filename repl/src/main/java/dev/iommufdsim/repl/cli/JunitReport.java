package dev.iommufdsim.repl.cli;

import dev.iommufdsim.dsl.Diagnostic;
import dev.iommufdsim.repl.interp.Expectation;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The JUnit XML report of a batch run, in the shape Surefire writes: one testsuite per
 * script, one testcase per expectation (named by its line and source), an error case for
 * the call that stopped a script, a failure case for a script that did not load.
 */
final class JunitReport {
    private JunitReport() {
    }

    static void write(Path path, List<BatchRunner.FileReport> reports) throws IOException {
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        try (OutputStream os = Files.newOutputStream(path)) {
            XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(os, "UTF-8");
            w.writeStartDocument("UTF-8", "1.0");
            w.writeStartElement("testsuites");
            for (BatchRunner.FileReport r : reports) {
                suite(w, r);
            }
            w.writeEndElement();
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    private static void suite(XMLStreamWriter w, BatchRunner.FileReport r) throws XMLStreamException {
        int failures = (int) r.expectations().stream().filter(e -> !e.passed()).count() + (r.diagnostics().isEmpty() ? 0 : 1);
        int errors = r.error() == null ? 0 : 1;
        int tests = r.expectations().size() + errors + (r.diagnostics().isEmpty() ? 0 : 1);
        String name = r.file().toString();
        w.writeStartElement("testsuite");
        w.writeAttribute("name", name);
        w.writeAttribute("tests", Integer.toString(tests));
        w.writeAttribute("failures", Integer.toString(failures));
        w.writeAttribute("errors", Integer.toString(errors));
        w.writeAttribute("skipped", "0");
        w.writeAttribute("time", String.format(Locale.ROOT, "%.3f", r.seconds()));
        for (Expectation e : r.expectations()) {
            w.writeStartElement("testcase");
            w.writeAttribute("classname", name);
            w.writeAttribute("name", "line " + e.pos().line() + ": " + e.source());
            if (!e.passed()) {
                w.writeStartElement("failure");
                w.writeAttribute("message", e.message());
                w.writeCharacters(e.pos() + ": " + e.message());
                w.writeEndElement();
            }
            w.writeEndElement();
        }
        if (r.error() != null) {
            w.writeStartElement("testcase");
            w.writeAttribute("classname", name);
            w.writeAttribute("name", "line " + r.error().pos().line() + ": " + (r.error().call() == null ? "script" : r.error().call()));
            w.writeStartElement("error");
            w.writeAttribute("message", r.error().getMessage());
            w.writeCharacters(r.error().toString());
            w.writeEndElement();
            w.writeEndElement();
        }
        if (!r.diagnostics().isEmpty()) {
            w.writeStartElement("testcase");
            w.writeAttribute("classname", name);
            w.writeAttribute("name", "load");
            w.writeStartElement("failure");
            w.writeAttribute("message", r.diagnostics().get(0).toString());
            StringBuilder sb = new StringBuilder();
            for (Diagnostic d : r.diagnostics()) {
                sb.append(d).append('\n');
            }
            w.writeCharacters(sb.toString());
            w.writeEndElement();
            w.writeEndElement();
        }
        w.writeEndElement();
    }
}
