using System.Text;
using P2p.WebRtc.Sctp;

namespace P2p.WebRtc.DataChannels;

/// <summary>
/// A message received on a data channel through <see cref="RtcDataChannel.PooledMessageReceived"/>: its bytes live in a
/// pooled buffer that the application lends until it calls <see cref="Dispose"/>, so receiving allocates nothing per
/// message once the pool has warmed up.
/// </summary>
/// <remarks>
/// <para>
/// Dispose each lease once the message has been consumed, on any thread (inside the handler, or later after queueing
/// it). Until then the message's bytes count against the connection's receive window (RFC 9260 §6.2) like a message
/// whose consumption was deferred (<see cref="RtcDataChannelMessageEventArgs.DeferConsumption"/>): a reader that keeps
/// leases closes the window and the peer waits. The window is shared by every channel of the connection.
/// </para>
/// <para>
/// Disposing twice (or disposing a copy of a disposed lease) does nothing. After disposal, <see cref="Data"/>,
/// <see cref="Text"/> and <see cref="IsText"/> throw <see cref="ObjectDisposedException"/>; memory taken from
/// <see cref="Data"/> before then must not be used afterwards, as the buffer may already hold another message. A lease
/// never disposed is only a buffer lost to the pool (the GC reclaims it) and window bytes never given back.
/// The default value holds no message: its <see cref="Data"/> is empty and disposing it does nothing.
/// </para>
/// </remarks>
public readonly struct RtcDataChannelMessageLease : IDisposable, IEquatable<RtcDataChannelMessageLease>
{
    private readonly LeasedMessage? _message;
    private readonly int _generation;

    internal RtcDataChannelMessageLease(LeasedMessage message)
    {
        _message = message;
        _generation = message.Generation;
    }

    /// <summary>True for a string message (PPID 51/56), false for a binary one (53/57).</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public bool IsText => _message is not null && Valid().IsText;

    /// <summary>The message's bytes (UTF-8 for a string message), valid until the lease is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public ReadOnlyMemory<byte> Data => _message is null ? ReadOnlyMemory<byte>.Empty : Valid().Data;

    /// <summary>The message decoded as UTF-8 (meaningful for string messages).</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public string Text => Encoding.UTF8.GetString(Data.Span);

    /// <summary>True while the lease holds its message (not disposed, not the default value).</summary>
    public bool IsActive => _message is not null && _message.Generation == _generation;

    /// <summary>Compares two leases.</summary>
    /// <param name="left">One lease.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when both are copies of the same lease.</returns>
    public static bool operator ==(RtcDataChannelMessageLease left, RtcDataChannelMessageLease right) => left.Equals(right);

    /// <summary>Compares two leases.</summary>
    /// <param name="left">One lease.</param>
    /// <param name="right">The other.</param>
    /// <returns>True unless both are copies of the same lease.</returns>
    public static bool operator !=(RtcDataChannelMessageLease left, RtcDataChannelMessageLease right) => !left.Equals(right);

    /// <summary>Gives the buffer back to the pool and the message's bytes back to the receive window (idempotent).</summary>
    public void Dispose() => _message?.Return(_generation);

    /// <inheritdoc/>
    public bool Equals(RtcDataChannelMessageLease other) => ReferenceEquals(_message, other._message) && _generation == other._generation;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RtcDataChannelMessageLease other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_message, _generation);

    private LeasedMessage Valid() =>
        _message!.Generation == _generation ? _message : throw new ObjectDisposedException(nameof(RtcDataChannelMessageLease), "The message's lease was disposed: its buffer went back to the pool.");
}
