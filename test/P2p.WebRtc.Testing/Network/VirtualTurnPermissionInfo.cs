using System.Net;

namespace P2p.WebRtc.Testing.Network;

/// <summary>A permission of a <see cref="VirtualTurnServer"/> allocation (RFC 8656 §9): one peer IP address, any port.</summary>
/// <param name="Peer">The peer's IP address.</param>
/// <param name="ExpiresAt">When it expires, on <see cref="VirtualNetwork.Now"/>'s scale (time since the network was created).</param>
public sealed record VirtualTurnPermissionInfo(IPAddress Peer, TimeSpan ExpiresAt);
