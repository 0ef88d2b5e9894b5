using Microsoft.Extensions.Logging;
using P2p.Core.Messaging;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Mesh;

/// <summary>
/// What a <see cref="PeerLink"/> needs from its group, and nothing more: who is connecting in which group,
/// the settings, the signaling channel and transport to connect with, the group's background work and
/// lifetime, and where the link reports state changes and lost members.
/// </summary>
internal interface ILinkOwner
{
    /// <summary>The group's id.</summary>
    string Id { get; }

    /// <summary>The local member's user id.</summary>
    string LocalId { get; }

    /// <summary>Where links log.</summary>
    ILogger Logger { get; }

    /// <summary>The signaling channel offers, answers and candidates are relayed through.</summary>
    ISignalingChannel Signaling { get; }

    /// <summary>Creates the peer connections.</summary>
    IPeerConnectionFactory Factory { get; }

    /// <summary>The STUN/TURN servers from the signaling server for a new connection (empty unless the transport asks for them).</summary>
    IReadOnlyList<IceServerPayload> IceServers { get; }

    /// <summary>The service's settings (timeouts, back-off).</summary>
    P2pOptions ServiceOptions { get; }

    /// <summary>The group's identity settings (<see cref="GroupOptions.Identity"/>), if any.</summary>
    Identity.IdentityOptions? Identity { get; }

    /// <summary>The clock of every link timer.</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>Background work the group waits for when it closes.</summary>
    BackgroundWork Work { get; }

    /// <summary>Cancelled when the group closes.</summary>
    CancellationToken Lifetime { get; }

    /// <summary>True once the local member is leaving the group.</summary>
    bool IsClosing { get; }

    /// <summary>True once the signaling connection is closed (a lost member can no longer be reached again).</summary>
    bool SignalingClosed { get; }

    /// <summary>Creates the messenger of a connected link (capability checks, requests and broadcasts go through the group).</summary>
    LinkMessenger CreateMessenger(Member member, IMessageChannel channel, LinkFingerprints fingerprints, Action<Exception?> onClosed, CancellationToken lifetime);

    /// <summary>Reports a change of a member's direct state (<see cref="Member.DirectState"/>, already written); the group tells the application when what it sees changes.</summary>
    void OnMemberStateChanged(Member member, PeerState previous, PeerState state, Exception? error);

    /// <summary>Removes a member from the group for good.</summary>
    void RemoveMember(string userId, string why);

    /// <summary>Asks the signaling server whether a member is still in the group, removing it when not.</summary>
    Task VerifyMemberAsync(string userId);
}
