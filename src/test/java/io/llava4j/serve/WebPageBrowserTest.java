package io.llava4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.conversation.LlavaModel;
import io.llava4j.testmodels.TinyModels;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page at {@code /} in a real browser: Debian's chromium, headless, through chromedriver. It
 * uploads an image, asks, sees the streamed answer with its timings, stops a long answer, starts
 * a new chat; with two models served, it picks the second and is answered by it. Screenshots go
 * to {@code target/screenshots/}. Needs {@code chromium} and {@code chromium-driver} (which
 * {@code .ci/run} installs); their paths can be given with {@code -Dllava4j.chromium} and
 * {@code -Dllava4j.chromedriver}.
 */
class WebPageBrowserTest {
    @TempDir
    static Path dir;

    static LlavaModel model;
    static ServerFixture server;
    static WebDriver browser;

    @BeforeAll
    static void start() {
        TinyModels.Pair pair = TinyModels.llava15(dir, 41);
        model = LlavaModel.open(pair.lm(), pair.mmproj());
        // 8192 positions: the answer that is stopped has room to go on for a long time
        server = new ServerFixture(
                List.of(model),
                List.of(ServerFixture.MODEL),
                ServeConfig.defaults(),
                2,
                4,
                ServerFixture.context().withContextLength(8192));
        String chromium = System.getProperty("llava4j.chromium", "/usr/bin/chromium");
        String driver = System.getProperty("llava4j.chromedriver", "/usr/bin/chromedriver");
        assertTrue(
                new File(chromium).canExecute() && new File(driver).canExecute(),
                "this test needs chromium and chromedriver (apt-get install chromium chromium-driver): " + chromium
                        + ", " + driver);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,800");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(driver))
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    void uploadAskStopAndStartAgain() throws Exception {
        browser.get(server.base.resolve("/").toString());
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == 1);
        assertEquals(ServerFixture.MODEL, browser.findElement(By.id("model")).getAttribute("value"));

        // an image through the file input, then a question
        Path png = dir.resolve("gradient.png");
        Files.write(png, ServerFixture.png(3));
        browser.findElement(By.id("file")).sendKeys(png.toString());
        wait.until(d -> d.findElements(By.cssSelector("#pending img")).size() == 1);
        setValue("temperature", "0");
        setValue("max_tokens", "8");
        browser.findElement(By.id("prompt")).sendKeys("What is in the image?");
        browser.findElement(By.id("send")).click();
        WebElement answer = wait.until(d -> done(d, 0));
        assertTrue(
                List.of("stop", "length").contains(answer.getAttribute("data-done")), answer.getAttribute("data-done"));
        String text = answer.findElement(By.className("text")).getText();
        assertFalse(text.isBlank(), "an answer was streamed");
        String timings = answer.findElement(By.className("timings")).getText();
        assertTrue(timings.contains("prefill") && timings.contains("answer tokens"), timings);
        assertEquals(
                1, browser.findElements(By.cssSelector(".msg.user .thumbs img")).size(), "the thumbnail stays");
        screenshot("answered");

        // the same question, asked over the API with the same image: the page streamed that answer
        String expected = ServerFixture.parse(server.post(
                                "/v1/chat/completions",
                                ServerFixture.greedy("x", 8)
                                        .set(
                                                "messages",
                                                ServerFixture.JSON
                                                        .createArrayNode()
                                                        .add(ServerFixture.userWithImage(
                                                                "What is in the image?",
                                                                "data:image/png;base64,"
                                                                        + java.util.Base64.getEncoder()
                                                                                .encodeToString(ServerFixture.png(3)))))
                                        .toString())
                        .body())
                .path("choices")
                .path(0)
                .path("message")
                .path("content")
                .asText();
        assertEquals(expected.strip(), text.strip());

        // a long answer, stopped
        setValue("max_tokens", "100000");
        browser.findElement(By.id("prompt")).sendKeys("Now tell me everything, at length.");
        browser.findElement(By.id("send")).click();
        new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(10))
                .until(d -> d.findElement(By.id("stop")).isEnabled()
                        && !d.findElements(By.cssSelector(".msg.assistant"))
                                .get(1)
                                .findElement(By.className("text"))
                                .getText()
                                .isEmpty());
        browser.findElement(By.id("stop")).click();
        WebElement stopped = wait.until(d -> done(d, 1));
        assertEquals("stopped", stopped.getAttribute("data-done"));
        assertFalse(browser.findElement(By.id("stop")).isEnabled());
        assertTrue(browser.findElement(By.id("send")).isEnabled());
        screenshot("stopped");

        // a new chat empties the page
        browser.findElement(By.id("new-chat")).click();
        assertEquals(0, browser.findElements(By.cssSelector(".msg")).size());
        screenshot("new-chat");
    }

    /**
     * A server of two models (the class's as {@code alpha}, a pair of other weights as
     * {@code beta}): the picker lists both ids in the server's order, starting at the first; the
     * question asked after picking the second is counted by the server under {@code beta} only,
     * and the page shows {@code beta}'s answer, which is not {@code alpha}'s.
     */
    @Test
    void thePickedModelAnswers() throws Exception {
        TinyModels.Pair other = TinyModels.llava15(dir.resolve("beta"), 23);
        String question = "Describe the sea in one sentence";
        try (LlavaModel beta = LlavaModel.open(other.lm(), other.mmproj());
                ServerFixture two = new ServerFixture(
                        List.of(model, beta), List.of("alpha", "beta"), ServeConfig.defaults(), 1, 4)) {
            browser.get(two.base.resolve("/").toString());
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
            wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == 2);
            WebElement element = browser.findElement(By.id("model"));
            Select picker = new Select(element);
            assertEquals(
                    List.of("alpha", "beta"),
                    picker.getOptions().stream()
                            .map(o -> o.getAttribute("value"))
                            .toList());
            assertEquals("alpha", picker.getFirstSelectedOption().getAttribute("value"));
            assertTrue(element.isEnabled(), "two models: the picker can be used");
            picker.selectByValue("beta");

            setValue("temperature", "0");
            setValue("max_tokens", "8");
            browser.findElement(By.id("prompt")).sendKeys(question);
            browser.findElement(By.id("send")).click();
            WebElement answer = wait.until(d -> done(d, 0));
            assertTrue(
                    List.of("stop", "length").contains(answer.getAttribute("data-done")),
                    answer.getAttribute("data-done"));
            String text = answer.findElement(By.className("text")).getText();
            screenshot("two-models");

            // the streamed response is counted once it has been written: wait for it
            new WebDriverWait(browser, Duration.ofSeconds(10))
                    .withMessage(() -> "no answer counted under beta:\n"
                            + two.get("/metrics").body())
                    .until(d -> ServerTest.series(two.get("/metrics").body(), answered("beta")) == 1);
            assertEquals(0, ServerTest.series(two.get("/metrics").body(), answered("alpha")));
            String betas = apiAnswer(two, "beta", question);
            assertNotEquals(apiAnswer(two, "alpha", question), betas, "two weights, two greedy answers");
            assertEquals(betas.strip(), text.strip());
        }
    }

    /** The metrics series of {@code model}'s answered completions. */
    private static String answered(String model) {
        return "llava4j_requests_total{endpoint=\"/v1/chat/completions\",model=\"" + model + "\",status=\"200\"}";
    }

    /** {@code model}'s greedy answer of 8 tokens to {@code question}, asked over the API. */
    private static String apiAnswer(ServerFixture on, String model, String question) {
        return on.complete(ServerFixture.greedy(question, 8).put("model", model))
                .at("/choices/0/message/content")
                .asText();
    }

    /** Answer {@code index} once it has ended, else null. */
    private static WebElement done(WebDriver d, int index) {
        List<WebElement> answers = d.findElements(By.cssSelector(".msg.assistant"));
        if (answers.size() <= index) {
            return null;
        }
        WebElement a = answers.get(index);
        return a.getAttribute("data-done") != null ? a : null;
    }

    private static void setValue(String id, String value) {
        browser.findElement(By.id("toggle-settings"));
        ((org.openqa.selenium.JavascriptExecutor) browser)
                .executeScript("document.getElementById(arguments[0]).value = arguments[1];", id, value);
    }

    private static void screenshot(String name) throws Exception {
        Path out = Path.of("target", "screenshots");
        Files.createDirectories(out);
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(out.resolve("web-page-" + name + ".png"), png);
    }
}
