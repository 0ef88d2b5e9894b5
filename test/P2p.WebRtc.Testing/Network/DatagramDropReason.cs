namespace P2p.WebRtc.Testing.Network;

/// <summary>Why the <see cref="VirtualNetwork"/> dropped a datagram (<see cref="VirtualNetworkCounters.Dropped"/>).</summary>
public enum DatagramDropReason
{
    /// <summary>Random loss on a link (<see cref="LinkConditions.Loss"/>).</summary>
    Loss,

    /// <summary>A link on the path is cut (<see cref="VirtualLink.Cut"/>).</summary>
    LinkCut,

    /// <summary>The datagram, with its IPv4 and UDP headers, is larger than a link's MTU (<see cref="LinkConditions.Mtu"/>).</summary>
    TooBig,

    /// <summary>No host, NAT or route has the destination address.</summary>
    NoRoute,

    /// <summary>The destination host has no socket on the destination port ("port unreachable").</summary>
    NoSocket,

    /// <summary>A NAT has no (live) mapping on the destination port.</summary>
    NoMapping,

    /// <summary>A NAT's filtering refused the datagram (RFC 4787 §5).</summary>
    Filtered,

    /// <summary>An inside host sent to its NAT's external address and the NAT does not hairpin.</summary>
    NoHairpinning,

    /// <summary>The path has more hops than the network allows (a misconfigured topology).</summary>
    HopLimit,

    /// <summary>The sending socket is bound to an address its host no longer has (<see cref="VirtualHost.ChangeAddress"/>).</summary>
    SourceAddressGone,
}
