namespace P2p.Core.Mesh;

/// <summary>A member as the application sees it; its state is written by the member's <see cref="PeerLink"/>.</summary>
internal sealed class Member(MeshGroup group, string id, bool isLocal) : IPeer
{
    private volatile Exception? _lastError;
    private volatile Identity.PeerIdentity? _identity;
    private int _state = isLocal ? (int)PeerState.Connected : (int)PeerState.Connecting;

    public string Id { get; } = id;

    public bool IsLocal { get; } = isLocal;

    public bool IsOwner => string.Equals(group.OwnerId, Id, StringComparison.Ordinal);

    public PeerState State
    {
        get => (PeerState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    public Exception? LastError
    {
        get => _lastError;
        set => _lastError = value;
    }

    public Identity.PeerIdentity? Identity
    {
        get => _identity;
        set => _identity = value;
    }

    public override string ToString() => IsLocal ? $"{Id} (local)" : $"{Id} ({State})";
}
