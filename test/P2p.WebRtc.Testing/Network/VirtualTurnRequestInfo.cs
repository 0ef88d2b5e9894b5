using System.Net;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Network;

/// <summary>A request as <see cref="VirtualTurnServer.RequestFilter"/> sees it, before any processing.</summary>
/// <param name="Number">Its number: 1 for the first request the server received (every method, retransmissions included).</param>
/// <param name="Method">The method.</param>
/// <param name="Client">The client's transport address as the server sees it.</param>
/// <param name="Username">The USERNAME attribute, if any (not yet verified).</param>
public sealed record VirtualTurnRequestInfo(long Number, StunMethod Method, IPEndPoint Client, string? Username);
