package io.keymesh.topology.link;

/** The sending side of a link as its channel handler drives it: acks, writability, close. */
public interface LinkSending {
    /** The receiver applied {@code origin} up to {@code seq}. */
    void onAck(String origin, long seq);

    /** The channel's writability changed. */
    void onWritabilityChanged();

    /** The connection closed: end soon. */
    void stop();

    /** What INFO shows of this link. */
    ServeStatus status();
}
