using System.Buffers;
using Microsoft.Extensions.Logging;
using P2p.Core.Mesh;
using P2p.Core.Messaging;
using P2p.Core.Diagnostics;

namespace P2p.Core.Routing;

/// <summary>
/// A group's side of the relayed-members extension (docs/protocol.md, "Relayed members (extension)"): forwards route
/// frames for others (one hop), hands frames meant for this member to the <see cref="RelayedPeer"/> of their origin, and
/// starts and breaks routes as direct links come and go.
/// </summary>
internal sealed class Router(MeshGroup group)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RelayedPeer> _peers = new(StringComparer.Ordinal);

    /// <summary>The group.</summary>
    public MeshGroup Group { get; } = group;

    /// <summary>The group's relay settings.</summary>
    public RelayOptions Options => Group.Options.Relaying;

    /// <summary>Test hook: a malicious relay that flips the last byte of every Data frame it forwards.</summary>
    internal bool TamperWithForwardedData { get; set; }

    /// <summary>How many route frames this member forwarded for others.</summary>
    internal long ForwardedFrames => Interlocked.Read(ref _forwarded);

    private long _forwarded;

    /// <summary>The relayed state of a member, when it has any.</summary>
    public RelayedPeer? Find(string memberId)
    {
        lock (_gate)
        {
            return _peers.GetValueOrDefault(memberId);
        }
    }

    /// <summary>A route frame arrived on the direct link to <paramref name="from"/>.</summary>
    public async ValueTask OnFrameAsync(Member from, LinkMessenger link, ReadOnlyMemory<byte> frame)
    {
        RouteFrameType type;
        bool forwarded;
        string origin;
        string destination;
        uint reference;
        {
            if (!RouteFrame.TryRead(frame.Span, out var route, out var problem))
            {
                Group.Logger.LogWarning("Dropped a route frame from member {MemberId}: {Problem}", from.Id, problem);
                return;
            }

            (type, forwarded, origin, destination) = (route.Type, route.Forwarded, route.Origin, route.Destination);
            reference = route.Body.Length >= 4 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(route.Body) : 0;
        }

        if (!forwarded)
        {
            await ForwardAsync(from, link, frame, type, origin, destination, reference).ConfigureAwait(false);
            return;
        }

        if (!string.Equals(destination, Group.LocalId, StringComparison.Ordinal) || string.Equals(origin, Group.LocalId, StringComparison.Ordinal))
        {
            Group.Logger.LogWarning("Dropped a forwarded route frame from member {MemberId}: it is from {Origin} for {Destination}, not for this member", from.Id, origin, destination);
            return;
        }

        if (!Options.Enabled)
        {
            Group.Logger.LogDebug("Dropped a route frame from {Origin} through {MemberId}: relaying is off", origin, from.Id);
            return;
        }

        if (Group.GetLink(origin)?.Member is not { } member)
        {
            if (type is RouteFrameType.Probe or RouteFrameType.Data)
            {
                Group.Logger.LogInformation("Member {Origin}, unknown in group {GroupId}, tried to reach this member through {MemberId}", origin, Group.Id, from.Id);
                await SendQuietlyAsync(link, RouteFrame.CreateUnreachable(false, Group.LocalId, origin, reference, UnreachableReason.NotMember)).ConfigureAwait(false);
            }

            return;
        }

        var peer = For(member);
        if (peer is null)
        {
            return; // leaving
        }

        await peer.OnFrameAsync(from, link, frame).ConfigureAwait(false);
    }

    /// <summary>The direct state of a member changed: start, break or look again for routes.</summary>
    public void OnDirectStateChanged(Member member, PeerState previous, PeerState state)
    {
        if (!Options.Enabled || Group.IsClosing)
        {
            return;
        }

        if (state == PeerState.Failed)
        {
            For(member)?.StartLooking();
        }

        RelayedPeer[] peers;
        lock (_gate)
        {
            peers = [.. _peers.Values];
        }

        foreach (var peer in peers)
        {
            if (previous == PeerState.Connected && state != PeerState.Connected)
            {
                peer.OnRelayLost(member.Id, $"the link to relay {member.Id} is {state}");
            }
            else if (state == PeerState.Connected && !ReferenceEquals(peer.Member, member))
            {
                peer.OnRelayCandidate();
            }
        }

        if (state == PeerState.Connected)
        {
            Find(member.Id)?.OnDirectConnected();
        }
    }

    /// <summary>A member left the group: its relayed state ends, and routes through it break.</summary>
    public void OnMemberRemoved(Member member, GroupException reason)
    {
        RelayedPeer? removed;
        RelayedPeer[] others;
        lock (_gate)
        {
            _peers.Remove(member.Id, out removed);
            others = [.. _peers.Values];
        }

        removed?.Close(reason);
        foreach (var peer in others)
        {
            peer.OnRelayLost(member.Id, $"relay {member.Id} left the group");
        }
    }

    /// <summary>Ends every relayed state (the group closes).</summary>
    public void Close(GroupException reason)
    {
        RelayedPeer[] peers;
        lock (_gate)
        {
            peers = [.. _peers.Values];
            _peers.Clear();
        }

        foreach (var peer in peers)
        {
            peer.Close(reason);
        }
    }

    /// <summary>The relayed state of a member, created on first use (null once the group closes).</summary>
    public RelayedPeer? For(Member member)
    {
        lock (_gate)
        {
            if (Group.IsClosing)
            {
                return null;
            }

            if (!_peers.TryGetValue(member.Id, out var peer))
            {
                peer = new RelayedPeer(this, member);
                _peers[member.Id] = peer;
            }

            return peer;
        }
    }

    /// <summary>Sends a small route frame, logging instead of throwing when the link is gone.</summary>
    public async Task SendQuietlyAsync(LinkMessenger link, byte[] frame)
    {
        try
        {
            await link.SendFrameAsync(frame, link.Lifetime).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or GroupException)
        {
            Group.Logger.LogDebug("Could not send a route frame: {Reason}", ex.Message);
        }
    }

    /// <summary>First hop: forward the frame to its destination with the Forwarded flag set, or answer Unreachable.</summary>
    private async Task ForwardAsync(Member from, LinkMessenger link, ReadOnlyMemory<byte> frame, RouteFrameType type, string origin, string destination, uint reference)
    {
        if (!string.Equals(origin, from.Id, StringComparison.Ordinal))
        {
            Group.Logger.LogWarning("Dropped a route frame from member {MemberId} that claims to come from {Origin}", from.Id, origin);
            return;
        }

        if (string.Equals(destination, from.Id, StringComparison.Ordinal) || string.Equals(destination, Group.LocalId, StringComparison.Ordinal))
        {
            Group.Logger.LogWarning("Dropped a route frame from member {MemberId} for {Destination}: nothing to forward", from.Id, destination);
            return;
        }

        var target = Options.Forward && Options.Enabled && Group.GetLink(destination) is { } link2 && link2.Member.DirectState == PeerState.Connected
            ? link2.TryGetMessenger()
            : null;
        if (target is not null && frame.Length <= target.RemoteMaxMessageSize)
        {
            var copy = ArrayPool<byte>.Shared.Rent(frame.Length);
            try
            {
                frame.Span.CopyTo(copy);
                copy[2] |= RouteFrame.ForwardedFlag;
                if (TamperWithForwardedData && type == RouteFrameType.Data)
                {
                    copy[frame.Length - 1] ^= 0x5a;
                }

                using var both = CancellationTokenSource.CreateLinkedTokenSource(link.Lifetime, target.Lifetime);
                await target.SendFrameAsync(copy.AsMemory(0, frame.Length), both.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _forwarded);
                CoreMetrics.FrameForwarded(frame.Length);
                return;
            }
            catch (Exception ex) when (ex is OperationCanceledException or GroupException)
            {
                Group.Logger.LogDebug("Could not forward a route frame from {Origin} to {Destination}: {Reason}", origin, destination, ex.Message);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }

        if (type is RouteFrameType.Data or RouteFrameType.Probe)
        {
            Group.Logger.LogDebug("Cannot forward a {Type} from {Origin} to {Destination}: no connected link (or relaying is off)", type, origin, destination);
            await SendQuietlyAsync(link, RouteFrame.CreateUnreachable(true, destination, origin, reference, UnreachableReason.NoRoute)).ConfigureAwait(false);
        }
    }
}
