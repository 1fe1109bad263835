/*
 * The iommufd-sim scripting language. docs/language.md is the reference for users; this
 * file is the reference for the parser. ScriptParser builds the AST (records in
 * dev.iommufdsim.dsl) from this parse tree; nothing downstream sees ANTLR types.
 *
 * Statements end at a newline or ';'. Newlines inside ( ) and [ ] are not tokens at all
 * (the lexer drops them, see NL), and the rules below accept newlines after a binary
 * operator and after ',' and ':' in records, so a statement may
 * span lines wherever it obviously is not finished.
 */
grammar IommufdSim;

@lexer::members {
    /** Depth of open ( and [; newlines inside them are whitespace. */
    private int nesting;
    /** The type of the last token handed out, to know whether a statement is open. */
    private int lastType = NL;
    private Token held;

    /**
     * Ends the open statement, if any, with a zero-width NL before a '}' or the end of
     * input (outside brackets), so that the grammar can require a separator after every
     * statement.
     */
    @Override
    public Token nextToken() {
        Token t;
        if (held != null) {
            t = held;
            held = null;
        } else {
            t = super.nextToken();
            if ((t.getType() == RBRACE || t.getType() == EOF) && nesting == 0
                    && lastType != NL && lastType != SEMI && lastType != LBRACE) {
                held = t;
                CommonToken nl = new CommonToken(_tokenFactorySourcePair, NL, DEFAULT_TOKEN_CHANNEL,
                        t.getStartIndex(), t.getStartIndex() - 1);
                nl.setLine(t.getLine());
                nl.setCharPositionInLine(t.getCharPositionInLine());
                nl.setText("");
                t = nl;
            }
        }
        lastType = t.getType();
        return t;
    }

    @Override
    public void reset() {
        super.reset();
        nesting = 0;
        lastType = NL;
        held = null;
    }
}

// ---------------------------------------------------------------------------- parser

// Every statement ends with a separator: the lexer adds a newline before a '}' and at the
// end of input (see nextToken), so the last statement of a block or file needs none. The
// check sits in `sep`, so an error like `x = 1 2` is found inside the statement's line and
// recovery goes on with the next line.
script
    : (sep | statement sep)* EOF
    ;

block
    : LBRACE (sep | statement sep)* RBRACE
    ;

sep
    : NL
    | SEMI
    ;

statement
    : FN ID LPAREN paramList? RPAREN block                       # fnStmt
    | IF expr block elifClause* elseClause?                      # ifStmt
    | WHILE expr block                                           # whileStmt
    | FOR ID IN expr block                                       # forStmt
    | RETURN expr?                                               # returnStmt
    | BREAK                                                      # breakStmt
    | CONTINUE                                                   # continueStmt
    | SOURCE STRING                                              # sourceStmt
    | EXPECT expr (FAILS errno=ID?)?                             # expectStmt
    | SHOW expr                                                  # showStmt
    | kind=ID target=ID ASSIGN NL* call                          # declStmt
    | ID op=assignOp NL* expr                                    # assignStmt
    | expr                                                       # exprStmt
    ;

// Like Go, 'elif' and 'else' go on the line of the '}' before them: a newline there ends
// the if statement, which is what lets the REPL run `if x { ... }` as soon as it is typed.
elifClause
    : (ELIF | ELSE IF) expr block
    ;

elseClause
    : ELSE block
    ;

assignOp
    : ASSIGN | PLUS_ASSIGN | MINUS_ASSIGN | STAR_ASSIGN | SLASH_ASSIGN | PERCENT_ASSIGN
    | AMP_ASSIGN | PIPE_ASSIGN | CARET_ASSIGN | SHL_ASSIGN | SHR_ASSIGN
    ;

paramList
    : ID (COMMA ID)* COMMA?
    ;

// Alternatives are listed from the tightest binding to the loosest.
expr
    : primary                                                    # primaryExpr
    | expr DOT name                                              # fieldExpr
    | expr LBRACK expr RBRACK                                    # indexExpr
    | op=(MINUS | TILDE | BANG) expr                             # unaryExpr
    | expr op=(STAR | SLASH | PERCENT) NL* expr                  # binaryExpr
    | expr op=(PLUS | MINUS) NL* expr                            # binaryExpr
    | expr op=(SHL | SHR) NL* expr                               # binaryExpr
    | expr op=AMP NL* expr                                       # binaryExpr
    | expr op=CARET NL* expr                                     # binaryExpr
    | expr op=PIPE NL* expr                                      # binaryExpr
    | expr op=DOTDOT NL* expr                                    # binaryExpr
    | expr op=(EQ | NE | LT | LE | GT | GE | IN) NL* expr        # binaryExpr
    | NOT expr                                                   # notExpr
    | expr op=(AND | ANDAND) NL* expr                            # binaryExpr
    | expr op=(OR | OROR) NL* expr                               # binaryExpr
    ;

primary
    : NUMBER                                                     # numberLit
    | STRING                                                     # stringLit
    | (TRUE | FALSE)                                             # boolLit
    | NONE                                                       # noneLit
    | call                                                       # callExpr
    | ID                                                         # nameExpr
    | LPAREN expr RPAREN                                         # parenExpr
    | LBRACK (expr (COMMA expr)* COMMA?)? RBRACK                 # listLit
    | LBRACE NL* (field (NL* COMMA NL* field)* (NL* COMMA)? NL*)? RBRACE  # recordLit
    ;

call
    : ID LPAREN argList? RPAREN
    ;

// '...' may end an argument list: "the other arguments take their defaults" (it changes
// nothing, but lets documentation write calls the way people sketch them).
argList
    : arg (COMMA arg)* (COMMA ELLIPSIS)? COMMA?
    | ELLIPSIS
    ;

arg
    : (name COLON)? expr
    ;

field
    : name COLON NL* expr
    ;

// Argument, field and record-key names may be keywords: pci(..., iommu: smmu0).
name
    : ID | IF | ELIF | ELSE | FOR | IN | WHILE | FN | RETURN | BREAK | CONTINUE | SOURCE
    | EXPECT | FAILS | SHOW | TRUE | FALSE | NONE | AND | OR | NOT
    ;

// ----------------------------------------------------------------------------- lexer

IF       : 'if';
ELIF     : 'elif';
ELSE     : 'else';
FOR      : 'for';
IN       : 'in';
WHILE    : 'while';
FN       : 'fn';
RETURN   : 'return';
BREAK    : 'break';
CONTINUE : 'continue';
SOURCE   : 'source';
EXPECT   : 'expect';
FAILS    : 'fails';
SHOW     : 'show';
TRUE     : 'true';
FALSE    : 'false';
NONE     : 'none';
AND      : 'and';
OR       : 'or';
NOT      : 'not';

// Unsigned 64-bit; '_' separates digits anywhere after the first; decimal numbers may end
// in a binary size suffix (K = 2^10, M = 2^20, G = 2^30, T = 2^40, either case).
NUMBER
    : '0' [xX] [0-9a-fA-F_]+
    | '0' [bB] [01_]+
    | [0-9] [0-9_]* [kKmMgGtT]?
    ;

// A number glued to letters ("4KB", "0x10g", "12ab"): one token, so the error names it.
BAD_NUMBER : [0-9] [0-9a-zA-Z_]* ;

// Strings may span lines; a newline inside is kept. Escapes are checked by ScriptParser.
STRING : '"' (ESC | ~["\\])* '"' ;

// Only reachable at end of input (strings span lines): reported as "unterminated string".
UNTERMINATED_STRING : '"' (ESC | ~["\\])* '\\'? ;

fragment ESC : '\\' . ;

ID : [a-zA-Z_] [a-zA-Z0-9_]* ;

ELLIPSIS       : '...';
DOTDOT         : '..';
DOT            : '.';
PLUS_ASSIGN    : '+=';
MINUS_ASSIGN   : '-=';
STAR_ASSIGN    : '*=';
SLASH_ASSIGN   : '/=';
PERCENT_ASSIGN : '%=';
AMP_ASSIGN     : '&=';
PIPE_ASSIGN    : '|=';
CARET_ASSIGN   : '^=';
SHL_ASSIGN     : '<<=';
SHR_ASSIGN     : '>>=';
ANDAND  : '&&';
OROR    : '||';
EQ      : '==';
NE      : '!=';
LE      : '<=';
GE      : '>=';
SHL     : '<<';
SHR     : '>>';
LT      : '<';
GT      : '>';
ASSIGN  : '=';
PLUS    : '+';
MINUS   : '-';
STAR    : '*';
SLASH   : '/';
PERCENT : '%';
AMP     : '&';
PIPE    : '|';
CARET   : '^';
TILDE   : '~';
BANG    : '!';
COLON   : ':';
COMMA   : ',';
SEMI    : ';';
LPAREN  : '(' { nesting++; };
RPAREN  : ')' { if (nesting > 0) nesting--; };
LBRACK  : '[' { nesting++; };
RBRACK  : ']' { if (nesting > 0) nesting--; };
LBRACE  : '{';
RBRACE  : '}';

// '#' to end of line, so '#!' lines work; the newline itself stays a token.
COMMENT : '#' ~[\r\n]* -> skip;

// A backslash at the end of a line continues the statement on the next one.
LINE_CONTINUATION : '\\' [ \t]* ('\r'? '\n' | '\r') -> skip;

WS : [ \t\f]+ -> skip;

NL : ('\r'? '\n' | '\r') { if (nesting > 0) skip(); };

// Anything else: one token, so the parser reports "unexpected character".
ERROR_CHAR : . ;
