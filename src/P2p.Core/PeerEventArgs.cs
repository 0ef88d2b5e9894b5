namespace P2p.Core;

/// <summary>A member joined or left a group.</summary>
/// <param name="peer">The member.</param>
public sealed class PeerEventArgs(IPeer peer) : EventArgs
{
    /// <summary>The member.</summary>
    public IPeer Peer { get; } = peer;
}
