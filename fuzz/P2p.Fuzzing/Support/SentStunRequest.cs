using System.Net;

namespace P2p.Fuzzing.Support;

/// <summary>A STUN request the ICE agent sent through a <see cref="FakeDatagramSocket"/>: what a fuzzed answer needs to match it.</summary>
/// <param name="TransactionId">The request's 12-byte transaction id.</param>
/// <param name="Destination">Where it went (a copy, the agent's address may be reused).</param>
/// <param name="Socket">The socket that sent it (the answer arrives there).</param>
internal sealed record SentStunRequest(byte[] TransactionId, SocketAddress Destination, FakeDatagramSocket Socket);
