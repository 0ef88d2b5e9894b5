namespace P2p.Core;

/// <summary>
/// This member's view of a group: its members and the connections to them, and the group messaging
/// (the seed's <c>IGroup</c>). Obtained from <see cref="IService.CreateGroupAsync"/>,
/// <see cref="IService.JoinGroupAsync"/> or <see cref="Group"/>.
/// </summary>
/// <remarks>
/// <para>Messages: broadcasts reach <see cref="MessageHandler"/>, awaited one at a time in arrival order;
/// requests reach <see cref="RequestHandler"/>, run concurrently (bounded). A slow handler slows the senders
/// down (back-pressure); nothing is dropped.</para>
/// <para>Events are raised one at a time, in order, on a background task (never while the SDK holds a lock);
/// an exception in a handler is logged and ignored.</para>
/// <para>Leaving is explicit (<see cref="LeaveAsync"/>); disposal leaves too and stops all background work.</para>
/// </remarks>
public interface IGroup : IAsyncDisposable
{
    /// <summary>The group's id.</summary>
    string Id { get; }

    /// <summary>The user id of the group's recorded owner (its creator; kept by the server after the owner leaves).</summary>
    string OwnerId { get; }

    /// <summary>What members may send (fixed at creation), enforced by sender and receiver.</summary>
    GroupCapability Capability { get; }

    /// <summary>This member.</summary>
    IPeer LocalMember { get; }

    /// <summary>The other members currently in the group (the local member excluded), with their connection state.</summary>
    IReadOnlyCollection<IPeer> Members { get; }

    /// <summary><see langword="true"/> once this member has left the group (or disposed it).</summary>
    bool IsClosed { get; }

    /// <summary>Receives broadcasts; may be replaced at any time (see <see cref="GroupOptions.MessageHandler"/>).</summary>
    GroupMessageHandler? MessageHandler { get; set; }

    /// <summary>Answers requests; may be replaced at any time (see <see cref="GroupOptions.RequestHandler"/>).</summary>
    GroupRequestHandler? RequestHandler { get; set; }

    /// <summary>Raised when another member joins the group (state <see cref="PeerState.Connecting"/>).</summary>
    event EventHandler<PeerEventArgs>? MemberJoined;

    /// <summary>Raised when another member leaves the group or disconnects from the signaling server.</summary>
    event EventHandler<PeerEventArgs>? MemberLeft;

    /// <summary>Raised when the connection to a member changes state (connected, failed, reconnecting...).</summary>
    event EventHandler<PeerStateChangedEventArgs>? MemberStateChanged;

    /// <summary>Looks a member up by user id (the local member included).</summary>
    /// <param name="userId">The user id.</param>
    /// <returns>The member, or <see langword="null"/> when no such member is in the group.</returns>
    IPeer? GetMember(string userId);

    /// <summary>
    /// Sends <paramref name="data"/> to every other member (the seed's <c>broadcast</c>). Completes when every
    /// connected member's connection has taken the message; members not connected, or whose connection
    /// failed meanwhile, are reported in <see cref="BroadcastResult.Failed"/>.
    /// </summary>
    /// <param name="data">The message (at most <see cref="GroupOptions.MaxMessageSize"/> bytes).</param>
    /// <param name="cancellationToken">Cancels the hand-over: the call then throws <see cref="OperationCanceledException"/> (a split message already started is cut short, and receivers discard it).</param>
    /// <exception cref="GroupException"><see cref="GroupErrorCode.Forbidden"/> (capability), <see cref="GroupErrorCode.TooLarge"/>, <see cref="GroupErrorCode.GroupClosed"/>.</exception>
    Task<BroadcastResult> BroadcastAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a request to one member and returns its reply (the seed's <c>unicast</c>). Waits for the
    /// connection while it is being established, then for the reply, both within <see cref="GroupOptions.RequestTimeout"/>.
    /// </summary>
    /// <param name="memberId">The receiving member's user id.</param>
    /// <param name="data">The request (at most <see cref="GroupOptions.MaxMessageSize"/> bytes).</param>
    /// <param name="cancellationToken">Cancels the wait (a reply that arrives later is discarded).</param>
    /// <returns>The reply.</returns>
    /// <exception cref="GroupException">
    /// Local: <see cref="GroupErrorCode.Forbidden"/>, <see cref="GroupErrorCode.TooLarge"/>, <see cref="GroupErrorCode.NotMember"/>,
    /// <see cref="GroupErrorCode.NotConnected"/>, <see cref="GroupErrorCode.Timeout"/>, <see cref="GroupErrorCode.ConnectionLost"/>,
    /// <see cref="GroupErrorCode.GroupClosed"/>. Remote (<see cref="GroupException.IsRemote"/>): <see cref="GroupErrorCode.NoHandler"/>,
    /// <see cref="GroupErrorCode.HandlerFailed"/> (with the remote exception's message), <see cref="GroupErrorCode.Forbidden"/>,
    /// <see cref="GroupErrorCode.TooLarge"/>, <see cref="GroupErrorCode.Unavailable"/>.
    /// </exception>
    Task<ReadOnlyMemory<byte>> UnicastAsync(string memberId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when every member currently in the group is <see cref="PeerState.Connected"/> (members that
    /// join meanwhile included). Use a cancellation token with a timeout: a member that cannot be reached keeps it waiting.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    Task WhenAllConnectedAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Leaves the group: refuses new sends, waits until every connected member acknowledged what this member sent it
    /// (at most <see cref="P2pOptions.LeaveTimeout"/>, so the last broadcasts arrive), tells the signaling server
    /// (<c>leave</c>), closes every connection, fails pending requests with <see cref="GroupErrorCode.GroupClosed"/> and
    /// stops all background work. Idempotent.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the server's answer (the group is closed locally anyway).</param>
    Task LeaveAsync(CancellationToken cancellationToken = default);
}
