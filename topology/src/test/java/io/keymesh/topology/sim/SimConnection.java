package io.keymesh.topology.sim;

/** One link connection between a pulling node and the node it pulls from, with the link logic of each end. */
final class SimConnection {
    final long id;
    final SimNode puller;
    final SimNode sender;
    final LinkLogic.Puller pulling;
    LinkLogic.Sender sending;       // made when the pull request arrives
    boolean open = true;

    SimConnection(long id, SimNode puller, SimNode sender, LinkLogic.Puller pulling) {
        this.id = id;
        this.puller = puller;
        this.sender = sender;
        this.pulling = pulling;
    }

    @Override
    public String toString() {
        return "conn" + id + " " + puller + "<-" + sender;
    }
}
