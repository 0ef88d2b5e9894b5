namespace P2p.Core.Transfers;

/// <summary>How <see cref="StreamTransfer.SendStreamAsync"/> cuts and paces a stream.</summary>
public sealed class StreamTransferOptions
{
    /// <summary>The bytes per chunk (one request each); default 256 KiB. At most the group's message size limit minus 1 KiB.</summary>
    public int ChunkSize { get; set; } = 256 * 1024;

    /// <summary>
    /// How many chunks may wait for the receiver's confirmation at once (default 4): the window that keeps a link busy.
    /// The sender reads no further ahead than this, so memory stays bounded and a slow receiver slows the sender down.
    /// </summary>
    public int ChunksInFlight { get; set; } = 4;

    /// <summary>A name the receiver sees (a file name, say); at most 1,024 UTF-8 bytes. Default empty.</summary>
    public string Name { get; set; } = "";

    internal void Validate(int maxMessageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ChunkSize, 1, nameof(ChunkSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ChunkSize, maxMessageSize - TransferChunk.MaxHeaderSize, nameof(ChunkSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ChunksInFlight, 1, nameof(ChunksInFlight));
        ArgumentNullException.ThrowIfNull(Name, nameof(Name));
        if (System.Text.Encoding.UTF8.GetByteCount(Name) > TransferChunk.MaxNameBytes)
        {
            throw new ArgumentException($"StreamTransferOptions.Name is longer than {TransferChunk.MaxNameBytes} UTF-8 bytes.");
        }
    }
}
