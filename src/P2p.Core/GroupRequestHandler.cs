namespace P2p.Core;

/// <summary>
/// Answers unicast requests: the returned bytes are the reply the caller's
/// <see cref="IGroup.UnicastAsync"/> returns. A thrown exception becomes an error reply
/// (<see cref="GroupErrorCode.HandlerFailed"/> with the exception's message; a thrown
/// <see cref="GroupException"/> keeps its wire code). Handlers run concurrently, up to
/// <see cref="GroupOptions.MaxConcurrentRequests"/> per group.
/// </summary>
/// <param name="sender">The member that sent the request.</param>
/// <param name="data">The request; it stays valid after the handler returns.</param>
/// <param name="cancellationToken">Cancelled when this member leaves the group or the connection to the sender is lost.</param>
public delegate ValueTask<ReadOnlyMemory<byte>> GroupRequestHandler(IPeer sender, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
