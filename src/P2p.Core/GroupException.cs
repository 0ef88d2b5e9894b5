namespace P2p.Core;

/// <summary>A group operation failed: locally (a forbidden call, a timeout...) or at the remote member (its error reply).</summary>
public class GroupException : Exception
{
    /// <summary>Creates an exception with code <see cref="GroupErrorCode.HandlerFailed"/>.</summary>
    public GroupException()
        : this(GroupErrorCode.HandlerFailed, "The group operation failed.")
    {
    }

    /// <summary>Creates an exception with code <see cref="GroupErrorCode.HandlerFailed"/>.</summary>
    /// <param name="message">The message.</param>
    public GroupException(string message)
        : this(GroupErrorCode.HandlerFailed, message)
    {
    }

    /// <summary>Creates an exception with code <see cref="GroupErrorCode.HandlerFailed"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public GroupException(string message, Exception? innerException)
        : this(GroupErrorCode.HandlerFailed, message, innerException)
    {
    }

    /// <summary>Creates an exception.</summary>
    /// <param name="code">Why.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, if any.</param>
    /// <param name="remoteMemberId">The member that sent the error, for an error reply; otherwise <see langword="null"/>.</param>
    public GroupException(GroupErrorCode code, string message, Exception? innerException = null, string? remoteMemberId = null)
        : base(message, innerException)
    {
        Code = code;
        RemoteMemberId = remoteMemberId;
    }

    /// <summary>Why the operation failed.</summary>
    public GroupErrorCode Code { get; }

    /// <summary>The member that answered with this error (an error reply), or <see langword="null"/> for a local failure.</summary>
    public string? RemoteMemberId { get; }

    /// <summary><see langword="true"/> when the remote member answered with this error.</summary>
    public bool IsRemote => RemoteMemberId is not null;
}
