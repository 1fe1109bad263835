package dev.iommufdsim.repl.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host's hook into completion: what it is asked, where its values go, what a failing one does. */
class CompletionContributorTest {
    final Fixture fx = new Fixture();
    final List<String> asked = new ArrayList<>();

    List<String> complete(String withCursor) {
        int cursor = withCursor.lastIndexOf('|');
        String text = withCursor.substring(0, cursor) + withCursor.substring(cursor + 1);
        return fx.engine.complete(text, cursor);
    }

    @Test
    void askedWithTheCalleeAndTheParameterTheArgumentFills() {
        fx.engine.addCompletionContributor((callee, param) -> {
            asked.add(callee + "." + param);
            return param.equals("ioas_id") ? List.of("7", "9") : List.of();
        });
        assertEquals(List.of("ioas_id:", "iova:", "length:", "flags:", "7", "9"), complete("ioas_map(|").subList(0, 6));
        assertEquals(List.of("7", "9"), complete("ioas_map(ioas_id: |").subList(0, 2));
        assertEquals(List.of("9"), complete("ioas_map(9|"));
        assertTrue(!complete("ioas_map(1, |").contains("7"), "the second argument is iova");
        assertEquals(List.of("ioas_map.ioas_id", "ioas_map.ioas_id", "ioas_map.ioas_id", "ioas_map.iova"), asked);
    }

    @Test
    void aPositionalArgumentBeingWrittenStillKnowsItsParameter() {
        fx.engine.addCompletionContributor((callee, param) -> List.of(param.equals("ioas_id") ? "5" : "0"));
        assertEquals(List.of("5"), complete("ioas_map(1 + 5|"));
        assertEquals(List.of("FIXED_IOVA"), complete("ioas_map(1, 0, 4K, READABLE | FI|"), "the flags' constants");
    }

    @Test
    void nothingAskedOutsideACallOrForUnknownArguments() {
        fx.engine.addCompletionContributor((callee, param) -> {
            asked.add(callee + "." + param);
            return List.of("1");
        });
        complete("x = |");
        complete("ioas_map(1, 2, 3, 4, |");
        complete("add(b: |");
        assertEquals(List.of("add.b"), asked, "a named argument is asked even when unknown to the built-in's constants");
        assertEquals(List.of(), complete("x = 1|"));
    }

    @Test
    void aFailingContributorOffersNothingAndCompletionGoesOn() {
        fx.engine.addCompletionContributor((callee, param) -> {
            throw new IllegalStateException("broken host");
        });
        fx.engine.addCompletionContributor((callee, param) -> List.of("3"));
        assertEquals(List.of("ioas_id:", "iova:", "length:", "flags:", "3"), complete("ioas_map(|").subList(0, 5));
    }
}
