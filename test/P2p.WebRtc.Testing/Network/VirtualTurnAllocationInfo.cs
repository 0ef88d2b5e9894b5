using System.Net;

namespace P2p.WebRtc.Testing.Network;

/// <summary>A snapshot of one allocation of a <see cref="VirtualTurnServer"/> (RFC 8656 §5), for assertions.</summary>
/// <param name="Client">The client's transport address as the server sees it (after every NAT): with the server's address and UDP, the 5-tuple.</param>
/// <param name="Relayed">The relayed transport address (the server's relay socket for this allocation).</param>
/// <param name="Username">The user who created it.</param>
/// <param name="ExpiresAt">When it expires unless refreshed, on <see cref="VirtualNetwork.Now"/>'s scale.</param>
/// <param name="Permissions">The live permissions.</param>
/// <param name="Channels">The live channel bindings.</param>
/// <param name="Refreshes">Refresh requests accepted for it (LIFETIME 0 included).</param>
/// <param name="PacketsToPeers">Datagrams relayed from the client to peers (Send indications and ChannelData).</param>
/// <param name="PacketsFromPeers">Datagrams relayed from peers to the client (Data indications and ChannelData).</param>
/// <param name="DroppedFromPeers">Datagrams from peers dropped for want of a permission.</param>
public sealed record VirtualTurnAllocationInfo(
    IPEndPoint Client,
    IPEndPoint Relayed,
    string Username,
    TimeSpan ExpiresAt,
    IReadOnlyList<VirtualTurnPermissionInfo> Permissions,
    IReadOnlyList<VirtualTurnChannelInfo> Channels,
    long Refreshes,
    long PacketsToPeers,
    long PacketsFromPeers,
    long DroppedFromPeers);
