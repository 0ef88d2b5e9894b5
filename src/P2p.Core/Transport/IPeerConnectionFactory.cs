namespace P2p.Core.Transport;

/// <summary>
/// Creates peer connections: the transport P2p.Core forms its mesh with. Implemented over WebRTC by
/// <c>P2p.Transport.WebRtc</c> (a later package) and in memory by the tests. P2p.Core calls it once per
/// connection attempt to another member.
/// </summary>
public interface IPeerConnectionFactory
{
    /// <summary>
    /// Creates a connection together with its single message channel (see <see cref="IPeerConnection.Channel"/>).
    /// Must not block: gathering, handshakes and I/O start later, from the description calls.
    /// </summary>
    /// <param name="context">The group, the two members and this side's role.</param>
    /// <returns>A new connection in state <see cref="PeerConnectionState.New"/>; P2p.Core disposes it.</returns>
    IPeerConnection CreateConnection(PeerConnectionContext context);

    /// <summary>
    /// When <see langword="true"/>, the service asks the signaling server for STUN/TURN servers (<c>get_ice_servers</c>)
    /// when it joins, keeps them fresh, and passes the current ones to every connection in
    /// <see cref="PeerConnectionContext.IceServers"/>; a server without the method then fails the join. Default
    /// <see langword="false"/>.
    /// </summary>
    bool IceServersFromSignaling => false;
}
