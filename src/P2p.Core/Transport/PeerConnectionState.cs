namespace P2p.Core.Transport;

/// <summary>
/// The state of an <see cref="IPeerConnection"/> as P2p.Core needs it: the state of the connection's
/// message channel, close to the browser's <c>RTCPeerConnectionState</c> combined with the data
/// channel's <c>readyState</c>.
/// </summary>
public enum PeerConnectionState
{
    /// <summary>Created; no description exchanged yet.</summary>
    New,

    /// <summary>Descriptions are being exchanged or the connection is being established.</summary>
    Connecting,

    /// <summary>The message channel is open: <see cref="IMessageChannel.SendAsync"/> may be called.</summary>
    Connected,

    /// <summary>Connectivity was lost but may come back (ICE <c>disconnected</c>); the channel may recover.</summary>
    Disconnected,

    /// <summary>The connection failed for good (no route, consent lost, handshake failed). Terminal.</summary>
    Failed,

    /// <summary>The connection was closed (locally or by the remote). Terminal.</summary>
    Closed,
}
