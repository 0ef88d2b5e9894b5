namespace P2p.WebRtc.Net;

/// <summary>
/// A connected, unreliable, message-oriented path between two endpoints: what ICE hands to DTLS
/// (the datagrams of the selected candidate pair that are not STUN), and what DTLS hands to SCTP
/// (decrypted application records). Datagrams may be lost, duplicated or reordered; each one that
/// arrives arrives whole.
/// </summary>
/// <remarks>
/// Threading: <see cref="Send"/> may be called from any thread. The receive handler is invoked
/// on the transport's own receive thread, one datagram at a time, in arrival order; it must not
/// block for long, because it holds up every datagram behind it.
/// </remarks>
public interface IDatagramTransport
{
    /// <summary>The largest datagram, in bytes, that <see cref="Send"/> accepts.</summary>
    int MaxDatagramSize { get; }

    /// <summary>True once the transport has been closed or has failed; nothing is sent or received after.</summary>
    bool IsClosed { get; }

    /// <summary>
    /// Sends one datagram. Does not wait for the network: a datagram may be dropped without error,
    /// as UDP may drop it.
    /// </summary>
    /// <param name="datagram">The bytes to send; at most <see cref="MaxDatagramSize"/>.</param>
    /// <exception cref="ArgumentException">The datagram is larger than <see cref="MaxDatagramSize"/>.</exception>
    /// <exception cref="ObjectDisposedException">The transport is closed.</exception>
    void Send(ReadOnlySpan<byte> datagram);

    /// <summary>
    /// Sets the handler that receives every incoming datagram (replacing any previous one);
    /// <see langword="null"/> discards incoming datagrams. Set it before the peer starts sending.
    /// </summary>
    /// <param name="handler">The handler, or <see langword="null"/>.</param>
    void SetReceiveHandler(DatagramReceivedHandler? handler);

    /// <summary>Raised once when the transport closes or fails. The argument says why, if it failed.</summary>
    event EventHandler<DatagramTransportClosedEventArgs>? Closed;
}
