using System.Collections.Concurrent;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Network;

/// <summary>What a <see cref="VirtualTurnServer"/> has seen and done, for assertions. Thread-safe; the counts only grow.</summary>
public sealed class VirtualTurnCounters
{
    private readonly long[] _dropped = new long[Enum.GetValues<VirtualTurnDropReason>().Length];
    private readonly ConcurrentDictionary<StunMethod, long> _requests = new();
    private readonly ConcurrentDictionary<int, long> _errors = new();
    private long _requestsTotal;
    private long _allocationsCreated;
    private long _allocationsDeleted;
    private long _allocationsExpired;
    private long _refreshes;
    private long _permissionsInstalled;
    private long _channelBinds;
    private long _sendIndications;
    private long _channelDataFromClients;
    private long _dataIndications;
    private long _channelDataToClients;

    /// <summary>Requests received, every method (unauthenticated ones and retransmissions included).</summary>
    public long Requests => Interlocked.Read(ref _requestsTotal);

    /// <summary>Allocations created (successful Allocate requests, retransmissions excluded).</summary>
    public long AllocationsCreated => Interlocked.Read(ref _allocationsCreated);

    /// <summary>Allocations deleted by a Refresh with LIFETIME 0.</summary>
    public long AllocationsDeleted => Interlocked.Read(ref _allocationsDeleted);

    /// <summary>Allocations that expired (not refreshed in time).</summary>
    public long AllocationsExpired => Interlocked.Read(ref _allocationsExpired);

    /// <summary>Refresh requests accepted (LIFETIME 0 included).</summary>
    public long Refreshes => Interlocked.Read(ref _refreshes);

    /// <summary>Permissions installed or refreshed, one per XOR-PEER-ADDRESS of a successful CreatePermission or ChannelBind.</summary>
    public long PermissionsInstalled => Interlocked.Read(ref _permissionsInstalled);

    /// <summary>ChannelBind requests accepted (new bindings and refreshes).</summary>
    public long ChannelBinds => Interlocked.Read(ref _channelBinds);

    /// <summary>Send indications relayed to a peer.</summary>
    public long SendIndicationsRelayed => Interlocked.Read(ref _sendIndications);

    /// <summary>ChannelData messages from clients relayed to a peer.</summary>
    public long ChannelDataFromClientsRelayed => Interlocked.Read(ref _channelDataFromClients);

    /// <summary>Datagrams from peers relayed to a client in a Data indication.</summary>
    public long DataIndicationsSent => Interlocked.Read(ref _dataIndications);

    /// <summary>Datagrams from peers relayed to a client in ChannelData.</summary>
    public long ChannelDataToClientsSent => Interlocked.Read(ref _channelDataToClients);

    /// <summary>Datagrams relayed from clients to peers, either way of sending.</summary>
    public long RelayedToPeers => SendIndicationsRelayed + ChannelDataFromClientsRelayed;

    /// <summary>Datagrams relayed from peers to clients, either way of sending.</summary>
    public long RelayedToClients => DataIndicationsSent + ChannelDataToClientsSent;

    /// <summary>Requests of one method received.</summary>
    /// <param name="method">The method.</param>
    /// <returns>The count.</returns>
    public long RequestsOf(StunMethod method) => _requests.GetValueOrDefault(method);

    /// <summary>Error responses sent with this code (e.g. 401, 438).</summary>
    /// <param name="code">The error code.</param>
    /// <returns>The count.</returns>
    public long Errors(int code) => _errors.GetValueOrDefault(code);

    /// <summary>Datagrams dropped for <paramref name="reason"/>.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The count.</returns>
    public long Dropped(VirtualTurnDropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);

    /// <summary>A one-line summary.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        var errors = _errors.OrderBy(e => e.Key).Select(e => $"{e.Key}×{e.Value}");
        var drops = Enum.GetValues<VirtualTurnDropReason>().Where(r => Dropped(r) > 0).Select(r => $"{r} {Dropped(r)}");
        return $"requests {Requests} [errors {string.Join(", ", errors)}], allocations +{AllocationsCreated} -{AllocationsDeleted} expired {AllocationsExpired}, "
            + $"refreshes {Refreshes}, permissions {PermissionsInstalled}, channel binds {ChannelBinds}, to peers {RelayedToPeers}, to clients {RelayedToClients}, "
            + $"dropped [{string.Join(", ", drops)}]";
    }

    internal long CountRequest(StunMethod method)
    {
        _requests.AddOrUpdate(method, 1, (_, n) => n + 1);
        return Interlocked.Increment(ref _requestsTotal);
    }

    internal void CountError(int code) => _errors.AddOrUpdate(code, 1, (_, n) => n + 1);

    internal void CountDropped(VirtualTurnDropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);

    internal void CountAllocationCreated() => Interlocked.Increment(ref _allocationsCreated);

    internal void CountAllocationDeleted() => Interlocked.Increment(ref _allocationsDeleted);

    internal void CountAllocationExpired() => Interlocked.Increment(ref _allocationsExpired);

    internal void CountRefresh() => Interlocked.Increment(ref _refreshes);

    internal void CountPermissionInstalled() => Interlocked.Increment(ref _permissionsInstalled);

    internal void CountChannelBind() => Interlocked.Increment(ref _channelBinds);

    internal void CountSendIndication() => Interlocked.Increment(ref _sendIndications);

    internal void CountChannelDataFromClient() => Interlocked.Increment(ref _channelDataFromClients);

    internal void CountDataIndication() => Interlocked.Increment(ref _dataIndications);

    internal void CountChannelDataToClient() => Interlocked.Increment(ref _channelDataToClients);
}
