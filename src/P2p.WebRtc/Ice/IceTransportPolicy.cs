namespace P2p.WebRtc.Ice;

/// <summary>Which candidates ICE may use (the browser's <c>RTCIceTransportPolicy</c>).</summary>
public enum IceTransportPolicy
{
    /// <summary>Every candidate: host, server-reflexive and relayed.</summary>
    All,

    /// <summary>
    /// Relayed candidates only: no host or server-reflexive candidate is gathered or signalled, so the peer
    /// never learns this host's addresses and every packet goes through the TURN server.
    /// </summary>
    Relay,
}
