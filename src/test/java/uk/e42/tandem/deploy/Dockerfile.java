package uk.e42.tandem.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** A Dockerfile as its instructions: comments dropped, continuation lines joined, line numbers kept. */
record Dockerfile(Path file, List<Instruction> instructions) {

    /** One instruction: keyword in upper case, its flags (--chown=185) and the rest of the line. */
    record Instruction(int line, String keyword, List<String> flags, String arguments) {
        /** The exec (JSON array) form's elements, or empty for the shell form. */
        Optional<List<String>> execForm() {
            if (!arguments.startsWith("[")) {
                return Optional.empty();
            }
            try {
                return Optional.of(Arrays.asList(new ObjectMapper().readValue(arguments, String[].class)));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("line " + line + ": " + keyword + " is not a JSON array: " + arguments, e);
            }
        }

        List<String> words() {
            return Arrays.asList(arguments.trim().split("\\s+"));
        }

        String where() {
            return "line " + line + " (" + keyword + " " + arguments + ")";
        }
    }

    static Dockerfile parse(Path file) throws IOException {
        List<Instruction> instructions = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        StringBuilder pending = new StringBuilder();
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("#") || (line.isEmpty() && pending.isEmpty())) {
                continue;
            }
            if (pending.isEmpty()) {
                start = i + 1;
            }
            boolean continues = line.endsWith("\\");
            pending.append(continues ? line.substring(0, line.length() - 1) : line).append(' ');
            if (!continues) {
                instructions.add(instruction(start, pending.toString().strip()));
                pending.setLength(0);
            }
        }
        if (!pending.isEmpty()) {
            throw new IllegalArgumentException(file + ":" + start + ": the last instruction ends in a line continuation");
        }
        return new Dockerfile(file, List.copyOf(instructions));
    }

    private static Instruction instruction(int line, String text) {
        String[] parts = text.split("\\s+", 2);
        String keyword = parts[0].toUpperCase(Locale.ROOT);
        String rest = parts.length > 1 ? parts[1] : "";
        List<String> flags = new ArrayList<>();
        while (rest.startsWith("--")) {
            String[] flagAndRest = rest.split("\\s+", 2);
            flags.add(flagAndRest[0]);
            rest = flagAndRest.length > 1 ? flagAndRest[1] : "";
        }
        return new Instruction(line, keyword, List.copyOf(flags), rest.strip());
    }

    List<Instruction> all(String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    Instruction last(String keyword) {
        List<Instruction> found = all(keyword);
        if (found.isEmpty()) {
            throw new AssertionError(file + " has no " + keyword);
        }
        return found.get(found.size() - 1);
    }
}
