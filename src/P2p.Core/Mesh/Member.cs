namespace P2p.Core.Mesh;

/// <summary>
/// A member as the application sees it. Its direct state is written by the member's <see cref="PeerLink"/>, its relay by
/// the group's <see cref="Routing.Router"/>; <see cref="State"/> combines them.
/// </summary>
internal sealed class Member(MeshGroup group, string id, bool isLocal) : IPeer
{
    private volatile Exception? _lastError;
    private volatile Identity.PeerIdentity? _identity;
    private volatile Identity.PeerIdentity? _routedIdentity;
    private volatile string? _relay;
    private int _directState = isLocal ? (int)PeerState.Connected : (int)PeerState.Connecting;

    public string Id { get; } = id;

    public bool IsLocal { get; } = isLocal;

    public bool IsOwner => string.Equals(group.OwnerId, Id, StringComparison.Ordinal);

    /// <summary>What the application sees: <see cref="PeerState.Relayed"/> while a relay carries the messages and there is no direct connection.</summary>
    public PeerState State => Combine(DirectState, _relay);

    /// <summary>The state of the direct connection (written by the link).</summary>
    public PeerState DirectState
    {
        get => (PeerState)Volatile.Read(ref _directState);
        set => Volatile.Write(ref _directState, (int)value);
    }

    /// <summary>The member relaying for this one, when a route is in use (written by the router).</summary>
    public string? Relay
    {
        get => _relay;
        set => _relay = value;
    }

    public string? RelayedVia => State == PeerState.Relayed ? _relay : null;

    public Exception? LastError
    {
        get => _lastError;
        set => _lastError = value;
    }

    /// <summary>The identity proven on the direct connection, or, while relayed, through the route's probe.</summary>
    public Identity.PeerIdentity? Identity
    {
        get => _identity ?? (State == PeerState.Relayed ? _routedIdentity : null);
        set => _identity = value;
    }

    /// <summary>The identity the member proved in a route probe (written by the router).</summary>
    public Identity.PeerIdentity? RoutedIdentity
    {
        get => _routedIdentity;
        set => _routedIdentity = value;
    }

    /// <summary>The state the application would see with this direct state and the current relay.</summary>
    public PeerState WithDirectState(PeerState direct) => Combine(direct, _relay);

    public override string ToString() => IsLocal ? $"{Id} (local)" : $"{Id} ({State})";

    private static PeerState Combine(PeerState direct, string? relay) =>
        relay is not null && direct is PeerState.Connecting or PeerState.Failed ? PeerState.Relayed : direct;
}
