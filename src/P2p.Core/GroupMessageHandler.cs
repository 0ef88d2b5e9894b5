namespace P2p.Core;

/// <summary>
/// Receives broadcasts (the seed's <c>onmessage(user_id, data)</c>). Awaited one message at a time, in
/// arrival order, per group: the next message is delivered when the returned task completes.
/// </summary>
/// <param name="sender">The member that broadcast.</param>
/// <param name="data">The message; it stays valid after the handler returns (it is not reused).</param>
/// <param name="cancellationToken">Cancelled when this member leaves the group.</param>
public delegate ValueTask GroupMessageHandler(IPeer sender, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
