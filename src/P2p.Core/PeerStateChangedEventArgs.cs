namespace P2p.Core;

/// <summary>The connection to a member changed state.</summary>
/// <param name="peer">The member.</param>
/// <param name="previousState">The state before.</param>
/// <param name="state">The new state.</param>
/// <param name="error">Why, for <see cref="PeerState.Failed"/> and <see cref="PeerState.Interrupted"/>; otherwise <see langword="null"/>.</param>
public sealed class PeerStateChangedEventArgs(IPeer peer, PeerState previousState, PeerState state, Exception? error) : EventArgs
{
    /// <summary>The member.</summary>
    public IPeer Peer { get; } = peer;

    /// <summary>The state before.</summary>
    public PeerState PreviousState { get; } = previousState;

    /// <summary>The new state.</summary>
    public PeerState State { get; } = state;

    /// <summary>Why, for <see cref="PeerState.Failed"/> and <see cref="PeerState.Interrupted"/>; otherwise <see langword="null"/>.</summary>
    public Exception? Error { get; } = error;
}
