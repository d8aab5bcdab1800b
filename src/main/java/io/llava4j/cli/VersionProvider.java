package io.llava4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** Version of the jar and of the llama.cpp source it was built from (see llava4j-build.properties). */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/io/llava4j/llava4j-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return new String[] {
            "llava4j " + p.getProperty("version", "unknown"),
            "llama.cpp " + p.getProperty("llama.cpp.tag", "?") + " (" + p.getProperty("llama.cpp.commit", "?") + ")",
        };
    }
}
