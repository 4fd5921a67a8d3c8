package uk.e42.tandem.config;

import java.nio.file.Path;

/**
 * Splits drbd.conf text into tokens the way drbdadm's scanner does: {@code #} comments to the end
 * of the line, unquoted words of {@code [a-zA-Z0-9/._-]} (at most 128), double-quoted strings on one
 * line (at most 255) in which a backslash takes the next character literally, and the punctuation
 * {@code { } ; [ ] :}.
 */
final class ConfigLexer {
    static final int MAX_WORD = 128;
    static final int MAX_STRING = 255;

    private final Path file;
    private final String text;
    private int offset;
    private int line = 1;
    private int column = 1;
    private Token peeked;

    ConfigLexer(Path file, String text) {
        this.file = file;
        this.text = text;
    }

    Token peek() {
        if (peeked == null) {
            peeked = scan();
        }
        return peeked;
    }

    Token next() {
        Token t = peek();
        peeked = null;
        return t;
    }

    /**
     * Reads an IPv6 address up to (not including) the closing {@code ]}: its colons and a
     * {@code %zone} suffix are not tokens of their own.
     */
    Token rawUntilBracket() {
        if (peeked != null) {
            throw new IllegalStateException("rawUntilBracket after peek");
        }
        SourcePosition at = position();
        int start = offset;
        while (offset < text.length() && text.charAt(offset) != ']' && !Character.isWhitespace(text.charAt(offset))) {
            advance();
        }
        return new Token(Token.Kind.WORD, text.substring(start, offset), at, position());
    }

    SourcePosition position() {
        return new SourcePosition(file, line, column);
    }

    private Token scan() {
        skipBlanksAndComments();
        SourcePosition at = position();
        if (offset >= text.length()) {
            return new Token(Token.Kind.EOF, "", at, at);
        }
        char c = text.charAt(offset);
        Token.Kind punct = switch (c) {
            case '{' -> Token.Kind.LBRACE;
            case '}' -> Token.Kind.RBRACE;
            case ';' -> Token.Kind.SEMICOLON;
            case '[' -> Token.Kind.LBRACKET;
            case ']' -> Token.Kind.RBRACKET;
            case ':' -> Token.Kind.COLON;
            default -> null;
        };
        if (punct != null) {
            advance();
            return new Token(punct, String.valueOf(c), at, position());
        }
        if (c == '"') {
            return quoted(at);
        }
        if (isWordChar(c)) {
            int start = offset;
            while (offset < text.length() && isWordChar(text.charAt(offset))) {
                advance();
            }
            String word = text.substring(start, offset);
            if (word.length() > MAX_WORD) {
                throw new ConfigException(at, "word of " + word.length() + " characters is too long (at most "
                        + MAX_WORD + ")", "a word is at most " + MAX_WORD + " characters, as in drbdadm");
            }
            return new Token(Token.Kind.WORD, word, at, position());
        }
        throw new ConfigException(at, "unexpected character '" + c + "'",
                "unquoted words may only contain letters, digits and / . _ -; put other text in double quotes");
    }

    private Token quoted(SourcePosition at) {
        advance();
        StringBuilder value = new StringBuilder();
        while (true) {
            if (offset >= text.length() || text.charAt(offset) == '\n') {
                throw new ConfigException(at, "unterminated double-quoted string",
                        "close the string with '\"' on the same line; strings cannot span lines");
            }
            char c = text.charAt(offset);
            if (c == '"') {
                advance();
                break;
            }
            if (c == '\\') {
                advance();
                if (offset >= text.length() || text.charAt(offset) == '\n') {
                    throw new ConfigException(at, "unterminated double-quoted string",
                            "a backslash at the end of a line does not continue the string");
                }
                c = text.charAt(offset);
            }
            value.append(c);
            advance();
        }
        if (value.length() > MAX_STRING) {
            throw new ConfigException(at, "quoted string of " + value.length() + " characters is too long (at most "
                    + MAX_STRING + ")", "drbdadm accepts at most " + MAX_STRING + " characters between quotes");
        }
        return new Token(Token.Kind.STRING, value.toString(), at, position());
    }

    private void skipBlanksAndComments() {
        while (offset < text.length()) {
            char c = text.charAt(offset);
            if (c == '#') {
                while (offset < text.length() && text.charAt(offset) != '\n') {
                    advance();
                }
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                advance();
            } else {
                return;
            }
        }
    }

    private void advance() {
        if (text.charAt(offset) == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
        offset++;
    }

    static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '/' || c == '.' || c == '_' || c == '-';
    }
}
