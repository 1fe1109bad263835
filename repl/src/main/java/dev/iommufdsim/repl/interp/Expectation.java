package dev.iommufdsim.repl.interp;

import dev.iommufdsim.dsl.SourcePos;

/**
 * The outcome of one {@code expect}.
 *
 * @param pos      the expect statement
 * @param source   the checked expression as written ("ioas_map(ioas, iova: 0x8000000, length: 4K)")
 * @param passed   whether it held
 * @param expected what was expected: the right side of {@code ==}, the errno of
 *                 {@code fails} (null: any errno), {@link Boolean#TRUE} for a plain check
 * @param actual   what happened: the left side, the errno the call returned, the value it
 *                 returned instead of failing
 * @param message  a one-line explanation for a failure ("expected EINVAL, got EEXIST:
 *                 iova 0x1000 is already mapped"); a short summary for a pass
 */
public record Expectation(SourcePos pos, String source, boolean passed, Object expected, Object actual,
                          String message) {
}
