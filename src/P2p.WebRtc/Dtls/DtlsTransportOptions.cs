namespace P2p.WebRtc.Dtls;

/// <summary>Tuning of a <see cref="DtlsTransport"/>. The defaults suit WebRTC.</summary>
public sealed record DtlsTransportOptions
{
    /// <summary>The default options.</summary>
    public static DtlsTransportOptions Default { get; } = new();

    /// <summary>
    /// How long <see cref="DtlsTransport.StartAsync"/> waits for the handshake before failing with
    /// <see cref="DtlsHandshakeFailure.Timeout"/>. Default 30 s; at most <see cref="uint.MaxValue"/> − 1 ms (≈ 49 days).
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The first handshake retransmission timeout, doubled after each retransmission up to 60 s
    /// (RFC 6347 §4.2.4.1 recommends 1 s, the default). A caller that knows the path's round-trip
    /// time (from ICE) may lower it.
    /// </summary>
    public TimeSpan InitialRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// As server, answer the first ClientHello with a HelloVerifyRequest cookie (RFC 6347 §4.2.1)
    /// before spending any work on the client. Off by default: in WebRTC the ICE connectivity checks
    /// already proved that the peer receives at its address, and browsers do not use it either.
    /// </summary>
    public bool UseHelloVerifyRequest { get; init; }

    /// <summary>
    /// The clock of every timer the transport runs: the handshake timeout, the waits of the
    /// handshake's receive (which pace BouncyCastle's retransmissions) and the rate limit of the
    /// server's final-flight retransmission after the handshake. Default <see cref="TimeProvider.System"/>;
    /// a fake one makes them testable in virtual time. BouncyCastle also checks the system clock
    /// itself before it retransmits a flight (see <c>docs/webrtc/dtls.md</c>, "Which clock the timers follow").
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
