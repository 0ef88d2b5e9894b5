namespace P2p.WebRtc.Sctp;

/// <summary>
/// The receive-window bytes of a message whose consumption a reader deferred (for example by queueing it for a slower
/// consumer): until <see cref="Release"/>, they count against the association's receive window (RFC 9260 §6.2), so a
/// reader that falls behind closes the window and the peer waits, instead of messages piling up in memory.
/// </summary>
/// <remarks>
/// Release each credit exactly once, when the message has been consumed (a copy released twice gives the window bytes it
/// never held). A credit never released keeps that much of the window closed for the life of the association. The
/// default value holds nothing, and releasing it does nothing.
/// </remarks>
public readonly struct SctpReceiveCredit
{
    private readonly SctpTransport? _owner;

    internal SctpReceiveCredit(SctpTransport owner, int bytes)
    {
        _owner = owner;
        Bytes = bytes;
    }

    /// <summary>The bytes held: the message's SCTP payload length.</summary>
    public int Bytes { get; }

    /// <summary>Gives the bytes back to the receive window; a window update goes to the peer if that reopens it.</summary>
    public void Release() => _owner?.ReleaseReceived(Bytes);
}
