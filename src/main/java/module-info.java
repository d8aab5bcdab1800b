/**
 * llava4j: chat about images with LLaVA-family models on quantized GGUF weights.
 *
 * <p>Exported: the API an application programs against ({@link io.llava4j.conversation} is the
 * entry point). Not exported: the JNI binding and its owners ({@code io.llava4j.nativeio}), the
 * CLI, and the generated demo and test models ({@code io.llava4j.demo},
 * {@code io.llava4j.synthetic}). On the class path (how the CLI jar runs) this descriptor is
 * ignored; {@code ModuleDescriptorTest} checks it against the built jar.
 */
module io.llava4j {
    exports io.llava4j;
    exports io.llava4j.conversation;
    exports io.llava4j.model;
    exports io.llava4j.vision;
    exports io.llava4j.vision.preprocess;
    exports io.llava4j.image;
    exports io.llava4j.template;
    exports io.llava4j.sampling;
    exports io.llava4j.gguf;
    exports io.llava4j.quantize;
    exports io.llava4j.pull;
    exports io.llava4j.convert;
    exports io.llava4j.convert.llava;

    // JavaCPP's Loader reads the presets' annotations and instantiates the generated Pointer
    // classes reflectively.
    opens io.llava4j.nativeio.presets to
            org.bytedeco.javacpp;
    opens io.llava4j.nativeio.bindings to
            org.bytedeco.javacpp;
    // Picocli sets @Option fields and instantiates commands, mixins and the version provider.
    opens io.llava4j.cli to
            info.picocli;

    // BufferedImage appears in the image and conversation API.
    requires transitive java.desktop;
    requires java.net.http;
    requires java.xml;
    requires org.bytedeco.javacpp;
    requires org.slf4j;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires info.picocli;
    requires org.jline;
    requires org.apache.commons.compress;
    // pickle and metadata-extractor carry no module name: these are the names Java derives from
    // their Maven jar names (pickle-1.5.jar, metadata-extractor-2.19.0.jar).
    requires pickle;
    requires metadata.extractor;
    // serve: Jetty's core server (modules of its own) and the Prometheus client (automatic modules
    // named by their jars' Automatic-Module-Name).
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.http;
    requires org.eclipse.jetty.io;
    requires org.eclipse.jetty.util;
    requires io.prometheus.metrics.core;
    requires io.prometheus.metrics.model;
    requires io.prometheus.writer.text;
}
