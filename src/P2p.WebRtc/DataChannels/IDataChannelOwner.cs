namespace P2p.WebRtc.DataChannels;

/// <summary>What a <see cref="RtcDataChannel"/> needs from the connection that carries it (its SCTP association).</summary>
internal interface IDataChannelOwner
{
    /// <summary>The peer's <c>a=max-message-size</c>.</summary>
    long RemoteMaxMessageSize { get; }

    /// <summary>Queues one message on the channel's stream with the channel's ordering and reliability.</summary>
    void Send(RtcDataChannel channel, DataChannelPpid ppid, ReadOnlySpan<byte> payload);

    /// <summary>Bytes queued on a stream and not yet sent.</summary>
    long GetBufferedAmount(ushort streamId);

    /// <summary>Completes once everything queued on the association is acknowledged by the peer (<see cref="Sctp.SctpTransport.FlushAsync"/>).</summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>Sets the level at which the stream's buffered-amount-low notification fires.</summary>
    void SetBufferedAmountLowThreshold(ushort streamId, long threshold);

    /// <summary>Starts closing the channel (outgoing stream reset, RFC 8831 §6.7).</summary>
    void Close(RtcDataChannel channel);
}
