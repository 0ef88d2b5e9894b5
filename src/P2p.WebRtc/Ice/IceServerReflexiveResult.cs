using System.Net;

namespace P2p.WebRtc.Ice;

/// <summary>
/// The outcome of one STUN Binding to a configured STUN server during gathering (RFC 8445 §5.1.1.2),
/// reported even when the mapping is redundant and therefore not a candidate (§5.1.3): on a
/// loopback-only host the mapped address equals the host address.
/// </summary>
/// <param name="Base">The local socket (host candidate) the request was sent from.</param>
/// <param name="Server">The STUN server.</param>
/// <param name="Mapped">The server-reflexive address the server saw, or <see langword="null"/> when the binding failed.</param>
/// <param name="Redundant">True when the mapping equals the base or an existing candidate and was eliminated.</param>
/// <param name="Error">Why the binding failed, when it did.</param>
public sealed record IceServerReflexiveResult(IPEndPoint Base, IPEndPoint Server, IPEndPoint? Mapped, bool Redundant, string? Error);
