using System.Net;

namespace P2p.WebRtc.Testing.Network;

/// <summary>A channel binding of a <see cref="VirtualTurnServer"/> allocation (RFC 8656 §12).</summary>
/// <param name="Number">The channel number, 0x4000–0x4FFF.</param>
/// <param name="Peer">The peer's transport address.</param>
/// <param name="ExpiresAt">When it expires, on <see cref="VirtualNetwork.Now"/>'s scale (time since the network was created).</param>
public sealed record VirtualTurnChannelInfo(ushort Number, IPEndPoint Peer, TimeSpan ExpiresAt);
