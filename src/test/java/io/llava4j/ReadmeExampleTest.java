package io.llava4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.conversation.Chat;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.model.ContextOptions;
import io.llava4j.template.Message;
import io.llava4j.testmodels.TinyModels;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library example compiles as written and does what it says, on a generated pair. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    static String example() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        Matcher m = Pattern.compile("## Library\\n.*?```java\\n(.*?)```", Pattern.DOTALL)
                .matcher(readme);
        assertTrue(m.find(), "README.md has a java block under ## Library");
        return m.group(1);
    }

    @Test
    void theLibraryExampleCompilesAndRuns() throws Exception {
        Path src = dir.resolve("src/Example.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, example());
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        // -encoding: the source was written as UTF-8; javac would read it in the platform charset
        // (US-ASCII under LANG=C on many CI images)
        int rc = javac.run(
                null,
                diagnostics,
                diagnostics,
                "-encoding",
                "UTF-8",
                "-d",
                classes.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                src.toString());
        assertEquals(0, rc, diagnostics.toString(StandardCharsets.UTF_8));

        TinyModels.Pair pair = TinyModels.llava15(dir.resolve("m"), 5);
        Path image = dir.resolve("cat.png");
        BufferedImage bi = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        bi.setRGB(10, 10, 0xff8800);
        ImageIO.write(bi, "png", image.toFile());
        Path saved = dir.resolve("conversation.chat");

        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(
                new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = loader.loadClass("Example").getMethod("main", String[].class);
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object)
                    new String[] {pair.lm().toString(), pair.mmproj().toString(), image.toString(), saved.toString()});
        } finally {
            System.setOut(out);
        }

        try (LlavaModel model = LlavaModel.open(pair.lm(), pair.mmproj());
                Chat chat = model.resume(saved, ContextOptions.defaults())) {
            List<Message> turns = chat.turns();
            assertEquals(4, turns.size());
            assertEquals("What colour is it?", turns.get(2).text());
            assertEquals(
                    turns.get(1).text() + "\n" + turns.get(3).text() + "\n",
                    captured.toString(StandardCharsets.UTF_8),
                    "the answers were streamed to stdout");
            assertTrue(chat.positions() > 576, "the KV state was saved with the image");
        }
    }
}
