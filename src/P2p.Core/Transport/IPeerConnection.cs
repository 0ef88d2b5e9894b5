using P2p.Signaling.Abstractions;

namespace P2p.Core.Transport;

/// <summary>
/// One connection between two members of a group, shaped after the browser's <c>RTCPeerConnection</c>:
/// an offer/answer exchange of session descriptions, trickled ICE candidates both ways, and exactly one
/// message channel created by both sides without in-band negotiation (docs/protocol.md, "Channel
/// establishment": <c>negotiated: true, id: 0</c>, label <c>"p2p"</c>, ordered, reliable).
/// </summary>
/// <remarks>
/// <para>P2p.Core calls the description methods in order for one role only: an offerer calls
/// <see cref="CreateOfferAsync"/> then <see cref="AcceptAnswerAsync"/>; an answerer calls
/// <see cref="AcceptOfferAsync"/>. It calls <see cref="AddRemoteCandidateAsync"/> only after the remote
/// description is set (it buffers early candidates itself), never concurrently with a description call.</para>
/// <para>ICE restart (optional, <see cref="CanRestartIce"/>): once connected, the offering side may call
/// <see cref="CreateRestartOfferAsync"/> and then <see cref="AcceptAnswerAsync"/> again; the answering side gets
/// <see cref="AcceptRestartOfferAsync"/>. The connection and its channel stay the same; new local candidates are
/// raised through <see cref="LocalCandidate"/> again, and remote candidates of the new session follow the new
/// remote description.</para>
/// <para>Events may be raised on any thread; handlers are short and never block.</para>
/// <para>Disposal closes the channel and the connection and stops all of the connection's background
/// work; the remote side sees its channel close.</para>
/// </remarks>
public interface IPeerConnection : IAsyncDisposable
{
    /// <summary>The connection's current state.</summary>
    PeerConnectionState State { get; }

    /// <summary>
    /// The single, pre-negotiated message channel. Exists from creation; usable once <see cref="State"/>
    /// is <see cref="PeerConnectionState.Connected"/>.
    /// </summary>
    IMessageChannel Channel { get; }

    /// <summary>Raised when <see cref="State"/> changes; the argument is the new state.</summary>
    event EventHandler<PeerConnectionState>? StateChanged;

    /// <summary>
    /// Raised for every local ICE candidate once gathering has started (after the local description is
    /// set), in the browser's <c>RTCIceCandidateInit</c> shape. An empty <see cref="IceCandidatePayload.Candidate"/>
    /// signals the end of candidates. May be raised before the description call that started gathering returns.
    /// </summary>
    event EventHandler<IceCandidatePayload>? LocalCandidate;

    /// <summary>Creates an offer and sets it as the local description (browser: <c>createOffer</c> + <c>setLocalDescription</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The offer, <c>{"type":"offer","sdp":…}</c>.</returns>
    Task<SessionDescriptionPayload> CreateOfferAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Sets a remote offer, creates the answer and sets it as the local description (browser:
    /// <c>setRemoteDescription</c> + <c>createAnswer</c> + <c>setLocalDescription</c>).
    /// </summary>
    /// <param name="offer">The remote offer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer, <c>{"type":"answer","sdp":…}</c>.</returns>
    Task<SessionDescriptionPayload> AcceptOfferAsync(SessionDescriptionPayload offer, CancellationToken cancellationToken);

    /// <summary>Sets the remote answer to this side's offer (browser: <c>setRemoteDescription</c>).</summary>
    /// <param name="answer">The remote answer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task AcceptAnswerAsync(SessionDescriptionPayload answer, CancellationToken cancellationToken);

    /// <summary>Adds a remote ICE candidate (browser: <c>addIceCandidate</c>); called only after the remote description is set.</summary>
    /// <param name="candidate">The candidate; an empty candidate string means the end of the remote's candidates.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task AddRemoteCandidateAsync(IceCandidatePayload candidate, CancellationToken cancellationToken);

    /// <summary>
    /// What the transport measures about this connection: round-trip time and retransmissions. Called from the group's
    /// metrics while the connection is connected, and once more just before it is disposed; it must be cheap, thread-safe
    /// and never throw. The default, for transports that measure nothing, is null.
    /// </summary>
    /// <returns>The statistics, or null when the transport has none.</returns>
    PeerConnectionStatistics? GetStatistics() => null;

    /// <summary>
    /// <see langword="true"/> when the connection can restart ICE (RFC 8445 §9) without a new connection:
    /// <see cref="CreateRestartOfferAsync"/> and <see cref="AcceptRestartOfferAsync"/> work. Default <see langword="false"/>:
    /// an interrupted link of such a transport can only wait for the path to return, or fail and reconnect.
    /// </summary>
    bool CanRestartIce => false;

    /// <summary>
    /// Restarts ICE on this connected connection: creates an offer with new ICE credentials and sets it as the local
    /// description (browser: <c>restartIce</c> + <c>createOffer</c> + <c>setLocalDescription</c>). The remote's answer
    /// goes to <see cref="AcceptAnswerAsync"/>. The channel stays open throughout.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The offer.</returns>
    /// <exception cref="NotSupportedException">The transport cannot restart ICE (<see cref="CanRestartIce"/> is false).</exception>
    Task<SessionDescriptionPayload> CreateRestartOfferAsync(CancellationToken cancellationToken) =>
        Task.FromException<SessionDescriptionPayload>(new NotSupportedException($"{GetType().Name} cannot restart ICE."));

    /// <summary>
    /// Answers the remote's ICE restart offer on this connected connection (browser: <c>setRemoteDescription</c> +
    /// <c>createAnswer</c> + <c>setLocalDescription</c> on the existing connection). The channel stays open throughout.
    /// </summary>
    /// <param name="offer">The remote's restart offer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer.</returns>
    /// <exception cref="NotSupportedException">The transport cannot restart ICE (<see cref="CanRestartIce"/> is false).</exception>
    Task<SessionDescriptionPayload> AcceptRestartOfferAsync(SessionDescriptionPayload offer, CancellationToken cancellationToken) =>
        Task.FromException<SessionDescriptionPayload>(new NotSupportedException($"{GetType().Name} cannot restart ICE."));
}
