package io.keymesh.proxy.server;

import io.keymesh.topology.tls.TlsRefusals;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.net.InetSocketAddress;

/**
 * Follows a TLS port connection's handshake: marks the channel {@link TlsPeer#VERIFIED} when the
 * client presented a certificate the CA verified, or counts and logs a refused handshake (a
 * certificate not signed by the CA, none where one is required, or no TLS at all) and closes.
 */
final class TlsHandshakeHandler extends ChannelInboundHandlerAdapter {
    private final TlsRefusals refusals;

    TlsHandshakeHandler(TlsRefusals refusals) {
        this.refusals = refusals;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                try {
                    ssl.engine().getSession().getPeerCertificates();
                    ctx.channel().attr(TlsPeer.VERIFIED).set(Boolean.TRUE);
                } catch (SSLPeerUnverifiedException e) {
                    // no client certificate (auth-clients optional or no)
                }
                ctx.pipeline().remove(this);
            } else {
                Throwable cause = done.cause();
                if (cause instanceof SSLException || cause instanceof DecoderException) {
                    refusals.refused(remoteHost(ctx), cause.getMessage() == null ? cause.toString() : cause.getMessage());
                }
                ctx.close();
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
            ctx.close();            // the handshake event above counts it; nothing for the session to report
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private static String remoteHost(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress()
                : String.valueOf(ctx.channel().remoteAddress());
    }
}
