namespace P2p.Core.Transport;

/// <summary>
/// How every transport creates the group's message channel, so that any two implementations (and a
/// browser's <c>RTCPeerConnection.createDataChannel("p2p", {negotiated: true, id: 0})</c>) agree
/// without in-band negotiation (no DCEP, RFC 8832, and so no race between two opens).
/// </summary>
public static class MessageChannelParameters
{
    /// <summary>The channel's label: <c>"p2p"</c>.</summary>
    public const string Label = "p2p";

    /// <summary>The SCTP stream id both sides use: 0 (<c>negotiated: true, id: 0</c>).</summary>
    public const ushort StreamId = 0;

    /// <summary>The channel delivers messages in order (<c>ordered: true</c>).</summary>
    public const bool Ordered = true;

    /// <summary>The channel is fully reliable (no <c>maxRetransmits</c>, no <c>maxPacketLifeTime</c>).</summary>
    public const bool Reliable = true;
}
