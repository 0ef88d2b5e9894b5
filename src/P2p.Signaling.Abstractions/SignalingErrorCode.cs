namespace P2p.Signaling.Abstractions;

/// <summary>
/// The JSON-RPC 2.0 error codes of the P2p signaling protocol (the <c>error.code</c> of a response).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><description>-32700 .. -32600: the standard JSON-RPC 2.0 codes.</description></item>
/// <item><description>-32001 .. -32009: sent by the signaling server.</description></item>
/// <item><description>-32010 .. -32019: sent by the receiver of a relay; the server forwards them to the relay's sender unchanged.</description></item>
/// <item><description>-32020 .. -32029: raised locally by a client library, never sent on the wire.</description></item>
/// <item><description>-32030 .. -32039: used by the group SDK between members (inside relays).</description></item>
/// <item><description>-32040 .. -32049: sent by the signaling server (limits, access control, availability).</description></item>
/// </list>
/// A relay's receiver may also answer with any code of its own; the sender sees it as sent. Values not
/// named here can therefore appear in <see cref="SignalingException.Code"/>.
/// </remarks>
public enum SignalingErrorCode
{
    /// <summary>-32700: the message is not valid JSON (JSON-RPC 2.0 "Parse error").</summary>
    ParseError = -32700,

    /// <summary>
    /// -32600: valid JSON but not a valid request: not an object, a batch array, a binary WebSocket
    /// message, <c>"jsonrpc"</c> other than <c>"2.0"</c>, a <c>method</c> that is not a string, an
    /// <c>id</c> that is not a string, number or null (JSON-RPC 2.0 "Invalid Request").
    /// </summary>
    InvalidRequest = -32600,

    /// <summary>-32601: the method does not exist (JSON-RPC 2.0 "Method not found").</summary>
    MethodNotFound = -32601,

    /// <summary>
    /// -32602: wrong parameters: <c>params</c> not a positional array, the wrong number of them, a
    /// wrong type, a capability outside 0..15, a relay to oneself (JSON-RPC 2.0 "Invalid params").
    /// </summary>
    InvalidParams = -32602,

    /// <summary>-32603: the server (or a relay's receiver) failed unexpectedly (JSON-RPC 2.0 "Internal error").</summary>
    InternalError = -32603,

    /// <summary>-32001: a method other than <c>init</c> was called before <c>init</c>.</summary>
    NotInitialized = -32001,

    /// <summary>-32002: no group has this id (never created, or removed when its last member left).</summary>
    GroupNotFound = -32002,

    /// <summary>-32003: the caller is not a member of the group (<c>leave</c>, <c>get_members</c>, <c>get_group</c>, <c>relay</c>).</summary>
    NotMember = -32003,

    /// <summary>
    /// -32004: the relay's target is not a member of the group, is not connected, or disconnected
    /// while the relay was waiting for its answer.
    /// </summary>
    TargetUnavailable = -32004,

    /// <summary>-32005: the relay's target did not answer within the server's relay timeout (default 30 s).</summary>
    RelayTimeout = -32005,

    /// <summary>
    /// -32006: a message exceeded the size limit (the server's default is 1 MiB). When a relay's
    /// answer is too large, the relay's sender gets this code.
    /// </summary>
    MessageTooLarge = -32006,

    /// <summary>-32007: the caller has too many relays waiting for answers (default limit 4096 per connection).</summary>
    TooManyPendingRelays = -32007,

    /// <summary>-32008: the caller is a member of too many groups (default limit 1000 per connection).</summary>
    TooManyGroups = -32008,

    /// <summary>
    /// -32009: <c>resume</c> was refused: the token is malformed or its MAC does not verify (e.g. another
    /// resume key), the session is unknown or its grace period has passed (on a server that has run
    /// longer than the grace period), or the session could not be taken over. The message says why.
    /// The client must start afresh with <c>init</c> (a new user id).
    /// </summary>
    ResumeRefused = -32009,

    /// <summary>-32010: the relay's receiver has no relay handler (sent by the receiver's client library).</summary>
    NoRelayHandler = -32010,

    /// <summary>-32011: the relay's receiver's handler failed (sent by the receiver's client library; details stay local).</summary>
    RelayHandlerFailed = -32011,

    /// <summary>-32040: the group already has as many members as the server allows (<c>join</c>; default limit 256).</summary>
    GroupFull = -32040,

    /// <summary>-32041: the caller sends relays faster than the server allows (default 1,000 per second per connection, with a burst of 2,000); retry later.</summary>
    RateLimited = -32041,

    /// <summary>
    /// -32042: the server's authorization refused the call (<c>create</c> or <c>join</c> of this group by this user).
    /// Also raised locally by the .NET <c>WebSocketSignalingChannel</c> when the server refuses the WebSocket upgrade itself (HTTP 401 or 403:
    /// a missing, invalid or expired access token); a reconnecting channel then closes.
    /// </summary>
    Forbidden = -32042,

    /// <summary>
    /// -32043: the server cannot serve the call now because a service it depends on (the Redis backplane
    /// of a multi-instance deployment) is unreachable; nothing was changed. Retry after a while.
    /// </summary>
    ServiceUnavailable = -32043,

    /// <summary>-32020 (local): the signaling connection is closed; the call could not be made or its answer will never come.</summary>
    ConnectionClosed = -32020,

    /// <summary>-32021 (local): no answer arrived within the client's per-call timeout.</summary>
    RequestTimeout = -32021,

    /// <summary>-32022 (local): the other side's answer could not be understood (not the shape the method defines).</summary>
    InvalidResponse = -32022,

    /// <summary>
    /// -32023 (local): the signaling connection dropped and the channel is reconnecting to resume its
    /// session; the call was not made, or its answer was lost with the old connection. Retry after
    /// <see cref="ISignalingChannel.Reconnected"/>.
    /// </summary>
    Reconnecting = -32023,
}
