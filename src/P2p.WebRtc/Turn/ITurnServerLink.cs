using System.Net;

namespace P2p.WebRtc.Turn;

/// <summary>
/// The client's path to its TURN server: STUN messages and ChannelData messages each way (RFC 8656 §3.1), over a
/// UDP socket (one message per datagram) or a TCP/TLS stream (messages framed by their own lengths).
/// </summary>
internal interface ITurnServerLink : IDisposable
{
    /// <summary>The server's address.</summary>
    IPEndPoint Server { get; }

    /// <summary>True for TCP and TLS: no retransmissions, ChannelData is padded to 4 bytes (RFC 8656 §12.5).</summary>
    bool IsReliable { get; }

    /// <summary>Starts delivering the server's messages, one at a time, in order; <paramref name="closed"/> is called once when a stream ends.</summary>
    void Start(TurnServerMessageHandler handler, Action<Exception?> closed);

    /// <summary>Sends one message; false when it could not be sent (closed, buffer full).</summary>
    bool Send(ReadOnlySpan<byte> message);
}

/// <summary>One message (STUN or ChannelData) from the TURN server; the span is reused after the call.</summary>
/// <param name="message">The message.</param>
internal delegate void TurnServerMessageHandler(ReadOnlySpan<byte> message);
