package uk.e42.tandem.config;

/** One lexical token of drbd.conf. {@code text} of a quoted string is already unescaped. */
record Token(Kind kind, String text, SourcePosition at, SourcePosition end) {

    enum Kind { WORD, STRING, LBRACE, RBRACE, SEMICOLON, LBRACKET, RBRACKET, COLON, EOF }

    boolean is(Kind k) {
        return kind == k;
    }

    /** An unquoted word equal to {@code keyword}. */
    boolean isKeyword(String keyword) {
        return kind == Kind.WORD && text.equals(keyword);
    }

    /** A word or a quoted string: what drbd.conf accepts as a name or value. */
    boolean isValue() {
        return kind == Kind.WORD || kind == Kind.STRING;
    }

    /** How the token reads in an error message. */
    String describe() {
        return switch (kind) {
            case EOF -> "end of file";
            case STRING -> "\"" + text + "\"";
            default -> "'" + text + "'";
        };
    }
}
