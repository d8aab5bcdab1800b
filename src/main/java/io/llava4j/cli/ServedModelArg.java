package io.llava4j.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * One {@code serve --serve LM[,MMPROJ][,alias=ID]} value: a further model to serve, named as
 * {@code --model} and {@code --mmproj} name one (a file, an {@code hf://} URI or a catalogue
 * name), and the id clients send for it.
 *
 * @param model the language model argument
 * @param mmproj the vision part argument, null for none (or, for a catalogue name, its own)
 * @param alias the model id, null for the default (the language model's file name without .gguf)
 */
record ServedModelArg(String model, String mmproj, String alias) {
    private static final String ALIAS = "alias=";

    /**
     * Reads {@code LM[,MMPROJ][,alias=ID]}; {@code alias=ID} may stand anywhere after the model.
     *
     * @throws IllegalArgumentException saying what is wrong with {@code text}
     */
    static ServedModelArg parse(String text) {
        List<String> files = new ArrayList<>();
        String alias = null;
        for (String part : text.split(",", -1)) {
            String p = part.strip();
            if (p.startsWith(ALIAS)) {
                if (alias != null) {
                    throw new IllegalArgumentException("alias= is given twice");
                }
                alias = p.substring(ALIAS.length()).strip();
                if (alias.isEmpty()) {
                    throw new IllegalArgumentException("alias= needs an id");
                }
            } else if (p.isEmpty()) {
                throw new IllegalArgumentException("an empty part: expected LM[,MMPROJ][,alias=ID]");
            } else {
                files.add(p);
            }
        }
        if (files.isEmpty() || files.size() > 2) {
            throw new IllegalArgumentException("expected LM[,MMPROJ][,alias=ID]: one language model and at most one"
                    + " mmproj, got " + files.size() + " files");
        }
        return new ServedModelArg(files.get(0), files.size() == 2 ? files.get(1) : null, alias);
    }

    /** Lets picocli turn a bad value into a usage error (exit code 2) naming the option. */
    static final class Converter implements ITypeConverter<ServedModelArg> {
        @Override
        public ServedModelArg convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "': " + e.getMessage());
            }
        }
    }
}
