namespace P2p.Core;

/// <summary>What <see cref="IGroup.BroadcastAsync"/> achieved.</summary>
/// <param name="Delivered">The members whose connection took the whole message.</param>
/// <param name="Failed">
/// The other members: not connected when the broadcast started (<see cref="GroupErrorCode.NotConnected"/>),
/// or whose connection failed while the message was being handed over.
/// </param>
public sealed record BroadcastResult(IReadOnlyList<IPeer> Delivered, IReadOnlyList<BroadcastFailure> Failed)
{
    /// <summary><see langword="true"/> when every other member took the message.</summary>
    public bool AllDelivered => Failed.Count == 0;
}
