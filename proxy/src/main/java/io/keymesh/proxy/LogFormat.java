package io.keymesh.proxy;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.LoggerFactory;

import java.net.URL;

/**
 * Switches the node's log lines between text and JSON ({@code keymesh.log.format}). When logging
 * starts, logback.xml includes logback-text.xml or logback-json.xml as {@code -Dkeymesh.log.format}
 * or {@code KEYMESH_LOG_FORMAT} say; a format set in the node's config file is applied here, once
 * that file is read.
 */
final class LogFormat {
    static final String PROPERTY = "keymesh.log.format";

    private LogFormat() {
    }

    /** Reconfigures logging from logback.xml with {@code format} ("text" or "json") unless it is in use. */
    static void apply(String format) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;                                   // another SLF4J binding: not ours to configure
        }
        String started = System.getProperty(PROPERTY, System.getenv().getOrDefault("KEYMESH_LOG_FORMAT", "text"));
        if (format.equals(context.getProperty(PROPERTY)) || context.getProperty(PROPERTY) == null && format.equals(started)) {
            return;
        }
        URL xml = LogFormat.class.getResource("/logback.xml");
        if (xml == null) {
            return;
        }
        context.reset();
        context.putProperty(PROPERTY, format);
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(xml);
        } catch (JoranException e) {
            System.err.println("keymesh: logging could not be switched to " + format + ": " + e.getMessage());
        }
    }
}
