namespace P2p.WebRtc.Sctp;

/// <summary>
/// A received user message: the stream it came on, its payload protocol identifier (for data
/// channels, RFC 8831 §8: 50 DCEP, 51 string, 53 binary, 56/57 empty) and its bytes, which the
/// receiver owns.
/// </summary>
/// <param name="StreamId">The SCTP stream identifier.</param>
/// <param name="Ppid">The payload protocol identifier.</param>
/// <param name="Payload">The message bytes, which the receiver owns (raised by <see cref="SctpTransport.MessageReceived"/>: a fresh array per message).</param>
/// <param name="Unordered">True when it was sent unordered.</param>
public readonly record struct SctpMessage(ushort StreamId, uint Ppid, ReadOnlyMemory<byte> Payload, bool Unordered);
