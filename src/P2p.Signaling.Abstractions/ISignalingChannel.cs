using System.Text.Json;

namespace P2p.Signaling.Abstractions;

/// <summary>
/// The client side of the P2p signaling protocol: a connection to a signaling server that introduces
/// peers, keeps group membership and relays negotiation messages (offers, answers, ICE candidates)
/// between members of a group. <c>P2p.Signaling.WebSockets</c> implements it over the JSON-RPC 2.0
/// WebSocket protocol described in <c>docs/protocol.md</c>; implement it yourself to plug in another
/// signaling transport.
/// </summary>
/// <remarks>
/// <para>Every call except <see cref="InitAsync"/> requires a prior successful <see cref="InitAsync"/>.
/// A failed call throws <see cref="SignalingException"/> whose <see cref="SignalingException.Code"/>
/// is one of <see cref="SignalingErrorCode"/>; a call made after the channel closed throws
/// <see cref="SignalingException"/> with <see cref="SignalingErrorCode.ConnectionClosed"/> at once.</para>
/// <para>An implementation may ride out a dropped connection (see <see cref="Reconnecting"/>): while it reconnects,
/// calls fail at once with <see cref="SignalingErrorCode.Reconnecting"/> and <see cref="IsClosed"/> stays
/// <see langword="false"/>.</para>
/// <para>Calls may run concurrently. Relays are independent requests; the server forwards one
/// sender's relays in the order it received them.</para>
/// </remarks>
public interface ISignalingChannel : IAsyncDisposable
{
    /// <summary>The user id the server assigned in <see cref="InitAsync"/>; <see langword="null"/> before it.</summary>
    string? UserId { get; }

    /// <summary><see langword="true"/> once the channel has closed (by either side, by failure or by disposal).</summary>
    bool IsClosed { get; }

    /// <summary>
    /// <see langword="true"/> while the channel has a working connection: <see langword="false"/> while it is
    /// reconnecting (calls then fail at once with <see cref="SignalingErrorCode.Reconnecting"/>) and once it has closed.
    /// The default implementation is <c>!IsClosed</c>, for implementations that never reconnect.
    /// </summary>
    bool IsConnected => !IsClosed;

    /// <summary>
    /// Answers relays that other members send to this user (offers, candidates, ...). The handler's
    /// result is the relay's result on the sender's side. Handlers are <b>started in the order the relays
    /// arrived</b> (an implementation must keep one sender's order: a trickled candidate must reach the
    /// handler before the end-of-candidates sent after it); once a handler awaits, others may start, so
    /// handlers then run concurrently. A handler must not block before its first await. With no handler the sender gets <see cref="SignalingErrorCode.NoRelayHandler"/>; a handler
    /// that throws <see cref="SignalingException"/> sends that error; any other exception sends
    /// <see cref="SignalingErrorCode.RelayHandlerFailed"/> (the exception itself stays local).
    /// The token is cancelled when the channel closes.
    /// </summary>
    Func<RelayRequest, CancellationToken, ValueTask<JsonElement>>? RelayHandler { get; set; }

    /// <summary>Raised when another user joins a group this user is a member of.</summary>
    event EventHandler<SignalingMemberEventArgs>? MemberJoined;

    /// <summary>Raised when another member leaves a group this user is a member of, or disconnects.</summary>
    event EventHandler<SignalingMemberEventArgs>? MemberLeft;

    /// <summary>
    /// Raised once when the channel closes. Check <see cref="IsClosed"/> as well: a channel can close
    /// before a handler is attached.
    /// </summary>
    event EventHandler<SignalingClosedEventArgs>? Closed;

    /// <summary>
    /// Raised when the connection dropped unexpectedly and the channel starts reconnecting to resume its session
    /// (<see cref="IsClosed"/> stays <see langword="false"/>). Calls pending at that moment, and calls made until
    /// <see cref="Reconnected"/>, fail with <see cref="SignalingErrorCode.Reconnecting"/>. If the channel cannot resume,
    /// <see cref="Closed"/> follows. The default implementation never raises it.
    /// </summary>
    event EventHandler<SignalingReconnectingEventArgs>? Reconnecting
    {
        add { }
        remove { }
    }

    /// <summary>
    /// Raised when the channel has reconnected and resumed its session: the same <see cref="UserId"/>, and the
    /// server kept its group memberships. Membership notifications sent while it was away are lost: refresh
    /// what matters (e.g. <see cref="GetGroupAsync"/>). The default implementation never raises it.
    /// </summary>
    event EventHandler? Reconnected
    {
        add { }
        remove { }
    }

    /// <summary>Identifies this connection to the server (<c>init</c>) and returns the user id it assigned.</summary>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The user id: 128 random bits as 32 lowercase hexadecimal characters.</returns>
    Task<string> InitAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates a group (<c>create</c>) whose owner and first member is this user.</summary>
    /// <param name="capability">
    /// What members may send to each other, as the integer bit set of P2p.Core's <c>GroupCapability</c>
    /// (0..15); <see langword="null"/> lets the server choose its default (15, everything allowed).
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The new group's id.</returns>
    Task<string> CreateGroupAsync(int? capability, CancellationToken cancellationToken = default);

    /// <summary>Joins a group (<c>join</c>). Joining a group this user is already a member of does nothing.</summary>
    /// <param name="groupId">The group's id.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    Task JoinGroupAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>Leaves a group (<c>leave</c>).</summary>
    /// <param name="groupId">The group's id.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    Task LeaveGroupAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>Lists a group's members, this user included (<c>get_members</c>).</summary>
    /// <param name="groupId">The group's id.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The members' user ids, in the order they joined.</returns>
    Task<IReadOnlyList<string>> GetMembersAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>Describes a group this user is a member of (<c>get_group</c>): owner, capability and members.</summary>
    /// <param name="groupId">The group's id.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    Task<GroupInfo> GetGroupAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends <paramref name="data"/> to another member of a group (<c>relay</c>) and returns what its
    /// <see cref="RelayHandler"/> answered. The server stamps this user's id as the sender.
    /// </summary>
    /// <param name="groupId">A group both users are members of.</param>
    /// <param name="toUserId">The receiving member.</param>
    /// <param name="data">Any JSON value, carried opaquely (e.g. <c>{"type":"offer","sdp":"..."}</c>).</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The receiver's answer (any JSON value, possibly <c>null</c>).</returns>
    Task<JsonElement> RelayAsync(string groupId, string toUserId, JsonElement data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks the server which STUN/TURN servers to use (<c>get_ice_servers</c>, an extension of the seed's protocol),
    /// with TURN credentials that are usually time-limited (see <see cref="IceServerPayload.TryGetTurnRestExpiry"/>).
    /// An empty list means the server has none to offer.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>The servers, in the browser's <c>RTCIceServer</c> shape.</returns>
    /// <exception cref="SignalingException">
    /// <see cref="SignalingErrorCode.MethodNotFound"/> when the server (or this implementation: the default does
    /// not implement it) does not know the method.
    /// </exception>
    Task<IReadOnlyList<IceServerPayload>> GetIceServersAsync(CancellationToken cancellationToken = default) =>
        Task.FromException<IReadOnlyList<IceServerPayload>>(new SignalingException(
            SignalingErrorCode.MethodNotFound,
            $"{GetType().Name} does not implement GetIceServersAsync ({SignalingMethods.GetIceServers})."));
}
