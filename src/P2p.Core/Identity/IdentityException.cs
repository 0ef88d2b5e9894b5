namespace P2p.Core.Identity;

/// <summary>
/// A peer's identity was not accepted, so the connection to it was closed (<see cref="GroupErrorCode.IdentityRejected"/>).
/// It appears as the member's <see cref="IPeer.LastError"/> and in its state change event.
/// </summary>
public sealed class IdentityException : GroupException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why.</param>
    /// <param name="message">The message (names the reason).</param>
    /// <param name="innerException">The cause, if any.</param>
    public IdentityException(IdentityFailureReason reason, string message, Exception? innerException = null)
        : base(GroupErrorCode.IdentityRejected, message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the identity was not accepted.</summary>
    public IdentityFailureReason Reason { get; }
}
