using System.Net;

namespace P2p.WebRtc.Testing.Network;

/// <summary>One NAT binding (RFC 4787 §3): an internal endpoint's external port, and whom it has sent to (for filtering).</summary>
internal sealed class NatMapping(IPEndPoint internalEndPoint, IPEndPoint externalEndPoint, TimeSpan created)
{
    public IPEndPoint Internal { get; } = internalEndPoint;

    public IPEndPoint External { get; } = externalEndPoint;

    /// <summary>The remote endpoints outbound datagrams of this mapping went to.</summary>
    public HashSet<IPEndPoint> Remotes { get; } = [];

    /// <summary>The last outbound datagram (the refresh, RFC 4787 REQ-6).</summary>
    public TimeSpan LastOutbound { get; set; } = created;
}
