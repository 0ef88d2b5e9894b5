namespace P2p.Core.Transfers;

/// <summary>How far a stream transfer got: bytes the receiver confirmed, and the total when the stream's length is known.</summary>
/// <param name="BytesConfirmed">Bytes the receiver has written and confirmed.</param>
/// <param name="TotalBytes">The stream's length, or <see langword="null"/> when it cannot be known in advance.</param>
public readonly record struct StreamTransferProgress(long BytesConfirmed, long? TotalBytes);
