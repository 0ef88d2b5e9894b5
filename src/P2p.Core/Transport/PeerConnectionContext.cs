using Microsoft.Extensions.Logging;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Transport;

/// <summary>What a transport learns about a connection it is asked to create.</summary>
/// <param name="GroupId">The group the connection belongs to.</param>
/// <param name="LocalUserId">This member's user id.</param>
/// <param name="RemoteUserId">The other member's user id.</param>
/// <param name="Role">Whether this side offers or answers.</param>
/// <param name="Logger">A logger whose scope already names the group and the remote member.</param>
public sealed record PeerConnectionContext(
    string GroupId,
    string LocalUserId,
    string RemoteUserId,
    PeerConnectionRole Role,
    ILogger Logger)
{
    /// <summary>
    /// STUN/TURN servers from the signaling server (when <see cref="IPeerConnectionFactory.IceServersFromSignaling"/>),
    /// with credentials valid for a while yet; empty otherwise. The transport uses them in addition to its own.
    /// </summary>
    public IReadOnlyList<IceServerPayload> IceServers { get; init; } = [];

    /// <summary>
    /// How long the connection may go without a sign of life from the remote before the transport reports
    /// <see cref="PeerConnectionState.Disconnected"/> (<see cref="P2pOptions.InterruptionTimeout"/>). A transport
    /// probes the path often enough to notice within this time (WebRTC: consent checks, RFC 7675).
    /// </summary>
    public TimeSpan InterruptionTimeout { get; init; } = TimeSpan.FromSeconds(2.5);
}
