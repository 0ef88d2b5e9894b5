namespace P2p.Core;

/// <summary>
/// Why a group operation failed (<see cref="GroupException.Code"/>). Values 1..99 also travel in
/// <c>Error</c> frames (docs/protocol.md, "Error payload"); values from 100 are raised locally only.
/// </summary>
public enum GroupErrorCode
{
    /// <summary>1 (wire): the receiver has no request handler.</summary>
    NoHandler = 1,

    /// <summary>2 (wire): the receiver's request handler threw; the message is the exception's message.</summary>
    HandlerFailed = 2,

    /// <summary>3 (wire and local): the group's capability forbids this message.</summary>
    Forbidden = 3,

    /// <summary>4 (wire and local): the message exceeds the receiver's (or this side's) message size limit.</summary>
    TooLarge = 4,

    /// <summary>5 (wire): the receiver is leaving the group and no longer answers.</summary>
    Unavailable = 5,

    /// <summary>100 (local): no reply within the request timeout.</summary>
    Timeout = 100,

    /// <summary>101 (local): the member is not connected (connecting, failed, or gone).</summary>
    NotConnected = 101,

    /// <summary>102 (local): no such member in the group.</summary>
    NotMember = 102,

    /// <summary>103 (local): the connection to the member was lost before the reply arrived.</summary>
    ConnectionLost = 103,

    /// <summary>104 (local): this member left the group (or disposed it).</summary>
    GroupClosed = 104,

    /// <summary>
    /// 105 (local): the member's identity was not accepted (missing, malformed, bad signature, or refused by the trust
    /// policy; <see cref="Identity.IdentityException.Reason"/>), so the connection to it was closed.
    /// </summary>
    IdentityRejected = 105,
}
