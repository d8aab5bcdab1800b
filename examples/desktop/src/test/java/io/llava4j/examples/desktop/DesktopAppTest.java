package io.llava4j.examples.desktop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.conversation.Chat;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.demo.DemoModel;
import io.llava4j.image.ChatImage;
import io.llava4j.synthetic.SyntheticModels;
import java.awt.GraphicsEnvironment;
import java.awt.Point;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.event.InputEvent;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.imageio.ImageIO;
import javax.swing.SwingUtilities;
import org.junit.jupiter.api.Test;

/**
 * Drives the window as a user would, on a real (virtual) display: types a question, clicks Ask with
 * the mouse, waits for the streamed answer, and checks it is exactly what the library answers for
 * the same conversation; then writes a screenshot. Needs a display: the llava4j build runs this
 * under Xvfb.
 */
class DesktopAppTest {
    @Test
    void askingAQuestionStreamsTheModelsAnswerIntoTheWindow() throws Exception {
        assertFalse(GraphicsEnvironment.isHeadless(), "no display: run under Xvfb (xvfb-run) or a desktop session");
        SyntheticModels.Pair pair = DemoModel.ensure(DemoModel.defaultCache());
        BufferedImage picture = DesktopApp.demoPicture();
        String q = "Describe the picture in one sentence.";

        GenerationResult expected;
        try (LlavaModel model = LlavaModel.open(pair.lm(), pair.mmproj());
                Chat chat = model.newChat()) {
            chat.addUser(q, List.of(ChatImage.of(picture)));
            expected = chat.generate(piece -> {});
        }
        assertFalse(expected.text().isEmpty(), "the library produced no text");

        try (LlavaModel model = LlavaModel.open(pair.lm(), pair.mmproj())) {
            AtomicReference<DesktopApp> ref = new AtomicReference<>();
            SwingUtilities.invokeAndWait(() -> {
                DesktopApp app = new DesktopApp(model, picture);
                app.frame.setLocation(40, 40);
                app.frame.setVisible(true);
                app.question.setText(q);
                ref.set(app);
            });
            DesktopApp app = ref.get();
            Robot robot = new Robot();
            robot.waitForIdle();
            AtomicReference<Point> button = new AtomicReference<>();
            SwingUtilities.invokeAndWait(() -> {
                Point p = app.ask.getLocationOnScreen();
                button.set(new Point(p.x + app.ask.getWidth() / 2, p.y + app.ask.getHeight() / 2));
            });
            robot.mouseMove(button.get().x, button.get().y);
            robot.mousePress(InputEvent.BUTTON1_DOWN_MASK);
            robot.mouseRelease(InputEvent.BUTTON1_DOWN_MASK);

            var asked = app.answers.poll(30, TimeUnit.SECONDS);
            assertTrue(asked != null, "clicking Ask started no question");
            GenerationResult shown = asked.get(120, TimeUnit.SECONDS);
            robot.waitForIdle();
            AtomicReference<String> text = new AtomicReference<>();
            SwingUtilities.invokeAndWait(() -> text.set(app.answer.getText()));
            assertEquals(expected.text(), shown.text(), "the window's conversation answered differently");
            assertEquals(expected.text(), text.get(), "the answer area does not show the answer");
            assertTrue(app.piecesShown() > 1, "the answer arrived in one piece, not streamed: " + app.piecesShown());

            Rectangle bounds = new Rectangle(app.frame.getLocationOnScreen(), app.frame.getSize());
            BufferedImage shot = robot.createScreenCapture(bounds);
            Path file = Path.of(System.getProperty("screenshot", "target/desktop-example.png"));
            Files.createDirectories(file.toAbsolutePath().getParent());
            ImageIO.write(shot, "png", file.toFile());
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < shot.getHeight(); y += 4) {
                for (int x = 0; x < shot.getWidth(); x += 4) {
                    colours.add(shot.getRGB(x, y));
                }
            }
            assertTrue(colours.size() > 50, "the screenshot is nearly blank: " + colours.size() + " colours");
            SwingUtilities.invokeAndWait(app::close);
        }
    }
}
