namespace P2p.Signaling.WebSockets;

/// <summary>A request waiting for its response.</summary>
internal abstract class PendingCall
{
    protected PendingCall(string method, long deadline)
    {
        Method = method;
        Deadline = deadline;
    }

    public string Method { get; }

    /// <summary>When the call times out, a <see cref="TimeProvider.GetTimestamp"/> of the channel's clock; <see cref="long.MaxValue"/> for never.</summary>
    public long Deadline { get; }

    /// <summary>Completes the call with the response's raw <c>result</c>. Never throws.</summary>
    public abstract void Complete(ReadOnlySpan<byte> result);

    /// <summary>Fails the call. Never throws.</summary>
    public abstract void Fail(Exception exception);
}
