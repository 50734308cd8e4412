package io.keymesh.proxy;

import com.typesafe.config.ConfigException;
import io.keymesh.proxy.config.KeymeshConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.util.concurrent.CountDownLatch;

/** The keymesh command line: {@code keymesh start [CONFIG_FILE]} runs one node in the foreground. */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !args[0].equals("start") || args.length > 2) {
            System.err.println("usage: keymesh start [CONFIG_FILE]   (override any key with -Dkey=value)");
            System.exit(2);
        }
        KeymeshConfig config;
        try {
            config = KeymeshConfig.load(args.length == 2 ? new File(args[1]) : null);
        } catch (ConfigException e) {
            System.err.println("keymesh: bad configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        LogFormat.apply(config.logFormat());
        KeymeshNode node;
        try {
            node = KeymeshNode.start(config);
        } catch (RuntimeException e) {
            log.error("keymesh failed to start: {}", e.getMessage());
            log.debug("start failure", e);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "keymesh-shutdown"));
        stopped.await();
    }
}
