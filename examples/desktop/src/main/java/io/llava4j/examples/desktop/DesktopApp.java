package io.llava4j.examples.desktop;

import io.llava4j.conversation.Chat;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.demo.DemoModel;
import io.llava4j.image.ChatImage;
import io.llava4j.synthetic.SyntheticModels;
import java.awt.BorderLayout;
import java.awt.Dimension;
import java.awt.Image;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import javax.imageio.ImageIO;
import javax.swing.BorderFactory;
import javax.swing.ImageIcon;
import javax.swing.JButton;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTextArea;
import javax.swing.JTextField;
import javax.swing.SwingUtilities;
import javax.swing.SwingWorker;

/**
 * A window with a picture, a question box and an answer that streams in as the model writes it.
 * Generation runs on a {@link SwingWorker}; each text piece is published to the event thread, so
 * the window stays responsive. One {@link Chat} holds the conversation: follow-up questions reuse
 * the KV cache, the image is encoded once.
 *
 * <pre>
 *   java -cp ... io.llava4j.examples.desktop.DesktopApp [LM.gguf MMPROJ.gguf IMAGE]
 * </pre>
 * Without arguments it opens llava4j's built-in demo pair (random weights: the answers are
 * gibberish, the plumbing is real) and its bundled picture.
 */
public final class DesktopApp {
    final JFrame frame;
    final JTextField question = new JTextField("What is shown in this image?");
    final JButton ask = new JButton("Ask");
    final JTextArea answer = new JTextArea(8, 40);
    private final Chat chat;
    private final ChatImage chatImage;
    private boolean imageSent;
    /** One entry per question asked, completed when its answer is complete and shown. */
    final BlockingQueue<CompletableFuture<GenerationResult>> answers = new LinkedBlockingQueue<>();

    private volatile int pieces;

    /** Builds the window (call on the event thread); the caller shows it. */
    DesktopApp(LlavaModel model, BufferedImage picture) {
        this.chat = model.newChat();
        this.chatImage = ChatImage.of(picture);
        frame = new JFrame("llava4j — ask about an image");
        frame.setDefaultCloseOperation(JFrame.DISPOSE_ON_CLOSE);
        JLabel view = new JLabel(new ImageIcon(picture.getScaledInstance(
                Math.min(480, picture.getWidth() * 320 / Math.max(1, picture.getHeight())), 320, Image.SCALE_SMOOTH)));
        view.setBorder(BorderFactory.createEmptyBorder(8, 8, 8, 8));
        answer.setLineWrap(true);
        answer.setWrapStyleWord(true);
        answer.setEditable(false);
        JPanel input = new JPanel(new BorderLayout(6, 0));
        input.add(question, BorderLayout.CENTER);
        input.add(ask, BorderLayout.EAST);
        input.setBorder(BorderFactory.createEmptyBorder(0, 8, 8, 8));
        JPanel south = new JPanel(new BorderLayout());
        south.add(input, BorderLayout.NORTH);
        south.add(new JScrollPane(answer), BorderLayout.CENTER);
        frame.getContentPane().add(view, BorderLayout.CENTER);
        frame.getContentPane().add(south, BorderLayout.SOUTH);
        frame.setMinimumSize(new Dimension(520, 560));
        ask.addActionListener(e -> askNow());
        question.addActionListener(e -> askNow());
        frame.pack();
    }

    /** Sends the question box's text; the answer streams into the answer area. On the event thread. */
    void askNow() {
        String text = question.getText().strip();
        if (text.isEmpty() || !ask.isEnabled()) {
            return;
        }
        ask.setEnabled(false);
        answer.setText("");
        CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        answers.add(done);
        List<ChatImage> images = imageSent ? List.of() : List.of(chatImage);
        imageSent = true;
        new SwingWorker<GenerationResult, String>() {
            @Override
            protected GenerationResult doInBackground() {
                chat.addUser(text, images);
                return chat.generate(this::publish);
            }

            @Override
            protected void process(List<String> chunks) {
                for (String piece : chunks) {
                    answer.append(piece);
                    pieces++;
                }
            }

            @Override
            protected void done() {
                ask.setEnabled(true);
                try {
                    done.complete(get());
                } catch (InterruptedException | ExecutionException e) {
                    answer.append("\n[" + e.getCause() + "]");
                    done.completeExceptionally(e.getCause() != null ? e.getCause() : e);
                }
            }
        }.execute();
    }

    /** Text pieces shown so far (more than one: the answer streamed). */
    int piecesShown() {
        return pieces;
    }

    /** Ends the conversation; the model stays open for its owner. */
    void close() {
        frame.dispose();
        chat.close();
    }

    /** The demo picture bundled in llava4j. */
    static BufferedImage demoPicture() throws IOException {
        try (InputStream in = DemoModel.class.getResourceAsStream(DemoModel.IMAGE_RESOURCE)) {
            if (in == null) {
                throw new IOException("llava4j's demo picture is missing from the classpath");
            }
            return ImageIO.read(in);
        }
    }

    public static void main(String[] args) throws Exception {
        LlavaModel model;
        BufferedImage picture;
        if (args.length >= 3) {
            model = LlavaModel.open(Path.of(args[0]), Path.of(args[1]));
            picture = ImageIO.read(Path.of(args[2]).toFile());
        } else {
            SyntheticModels.Pair pair = DemoModel.ensure(DemoModel.defaultCache());
            model = LlavaModel.open(pair.lm(), pair.mmproj());
            picture = demoPicture();
        }
        SwingUtilities.invokeLater(() -> {
            DesktopApp app = new DesktopApp(model, picture);
            app.frame.addWindowListener(new java.awt.event.WindowAdapter() {
                @Override
                public void windowClosed(java.awt.event.WindowEvent e) {
                    app.chat.close();
                    model.close();
                }
            });
            app.frame.setLocationRelativeTo(null);
            app.frame.setVisible(true);
        });
    }
}
