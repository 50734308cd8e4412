package io.keymesh.topology.link;

import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LinkFrameDecoderTest {
    private static final List<LinkFrame> FRAMES = List.of(
            new LinkFrame.Sync(LinkFrame.Sync.PARTIAL, SendMachine.ALL_ORIGINS, 0),
            new LinkFrame.Batch("a1", List.of(entry(1, 300), entry(2, 5))),
            new LinkFrame.Heartbeat("0000018f2a3b4c5d0001a1b2c3d4", 2),
            new LinkFrame.Batch("b2", List.of(entry(7, 70_000))),
            new LinkFrame.Ack("a1", 2));

    private static LogEntry entry(long seq, int valueBytes) {
        return new LogEntry(seq, List.of(bytes("t"), bytes("0000018f2a3b4c5d0001a1b2c3d4"), bytes("k"),
                bytes("key" + seq), bytes("v"), bytes("x".repeat(valueBytes))));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] wire(List<LinkFrame> frames) {
        ByteBuf buf = Unpooled.buffer();
        for (LinkFrame f : frames) {
            RespWriter.write(buf, Frames.toArgs(f));
        }
        byte[] out = new byte[buf.readableBytes()];
        buf.readBytes(out);
        return out;
    }

    @Test
    void everyChunkingGivesTheSameFramesWithTheirSizesOnTheWire() {
        byte[] wire = wire(FRAMES);
        SplittableRandom random = new SplittableRandom(19);
        for (int run = 0; run < 300; run++) {
            EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameDecoder());
            for (int at = 0; at < wire.length; ) {
                int n = Math.min(wire.length - at, 1 + random.nextInt(run % 3 == 0 ? 16 : 20_000));
                ch.writeInbound(Unpooled.wrappedBuffer(wire, at, n));
                at += n;
            }
            List<LinkFrame> frames = new ArrayList<>();
            long bytes = 0;
            for (Object m = ch.readInbound(); m != null; m = ch.readInbound()) {
                LinkFrameDecoder.Value v = (LinkFrameDecoder.Value) m;
                frames.add(Frames.decode(v.value()));
                bytes += v.bytes();
            }
            assertArrayEquals(wire, wire(frames), "run " + run + ": the same frames, in order");
            assertEquals(wire.length, bytes, "every byte belongs to one frame");
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aNullReplyPassesAsAValueOfNull() {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("$-1\r\n")));
        LinkFrameDecoder.Value v = ch.readInbound();
        assertNull(v.value());
        assertEquals(5, v.bytes());
        ch.finishAndReleaseAll();
    }

    @Test
    void badInputFailsTheChannel() {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkFrameDecoder());
        assertThrows(DecoderException.class, () -> ch.writeInbound(Unpooled.wrappedBuffer(bytes("*1\n"))));
        ch.pipeline().remove(LinkFrameDecoder.class);       // the link closes the channel; here its bytes are dropped
        ch.finishAndReleaseAll();
    }
}
