using System.Buffers;

namespace P2p.Core.Transfers;

/// <summary>
/// Sending a stream or a large buffer to one member, in chunks, with progress and back-pressure (docs/concepts.md,
/// "Large payloads"). The receiver handles the chunks with a <see cref="StreamReceiver"/> in its request handler.
/// </summary>
public static class StreamTransfer
{
    /// <summary>
    /// Sends <paramref name="source"/> (from its current position to its end) to <paramref name="memberId"/> as a series of
    /// requests of <see cref="StreamTransferOptions.ChunkSize"/> bytes, at most <see cref="StreamTransferOptions.ChunksInFlight"/>
    /// unconfirmed at once, so memory stays bounded and a slow receiver slows the reading down. Reports progress after
    /// each confirmed chunk. Completes when the receiver has written every byte; fails with the first chunk's error (the
    /// receiver's error, <see cref="GroupErrorCode.Timeout"/>, <see cref="GroupErrorCode.NotConnected"/> ...), after which
    /// nothing more is sent and the receiver drops the transfer.
    /// </summary>
    /// <param name="group">The group.</param>
    /// <param name="memberId">The receiving member.</param>
    /// <param name="source">What to send; read sequentially, not disposed.</param>
    /// <param name="options">Chunk size, window and name (defaults: 256 KiB, 4, empty).</param>
    /// <param name="progress">Told the confirmed byte count after each chunk.</param>
    /// <param name="cancellationToken">Stops the transfer (the receiver drops it after its idle timeout).</param>
    /// <returns>The number of bytes sent.</returns>
    public static async Task<long> SendStreamAsync(
        this IGroup group, string memberId, Stream source, StreamTransferOptions? options = null, IProgress<StreamTransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(memberId);
        ArgumentNullException.ThrowIfNull(source);
        if (!source.CanRead)
        {
            throw new ArgumentException("The stream cannot be read.", nameof(source));
        }

        options ??= new StreamTransferOptions();
        options.Validate(GroupOptions.DefaultMaxMessageSize);
        var transferId = Guid.NewGuid();
        long? total = source.CanSeek ? source.Length - source.Position : null;
        using var window = new SemaphoreSlim(options.ChunksInFlight, options.ChunksInFlight);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new List<Task>();
        long offset = 0;
        long confirmed = 0;
        var first = true;
        try
        {
            bool final;
            do
            {
                await window.WaitAsync(failed.Token).ConfigureAwait(false);
                var buffer = ArrayPool<byte>.Shared.Rent(TransferChunk.MaxHeaderSize + options.ChunkSize);
                int length;
                int read;
                try
                {
                    var header = TransferChunk.WriteHeader(buffer, transferId, offset, first, final: false, options.Name, total);
                    read = await source.ReadAtLeastAsync(buffer.AsMemory(header, options.ChunkSize), options.ChunkSize, throwOnEndOfStream: false, failed.Token).ConfigureAwait(false);
                    final = read < options.ChunkSize;
                    length = TransferChunk.WriteHeader(buffer, transferId, offset, first, final, options.Name, total) + read;
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    window.Release();
                    throw;
                }

                first = false;
                offset += read;
                inFlight.Add(SendChunkAsync(buffer, length, read));
                inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
            }
            while (!final);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A chunk failed: its error is the answer (below).
        }

        try
        {
            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }
        catch when (inFlight.FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException) is { } culprit)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(culprit.Exception!.InnerException!);
        }

        return offset;

        async Task SendChunkAsync(byte[] buffer, int length, int dataLength)
        {
            try
            {
                // Not cancelled by another chunk's failure: every chunk in flight ends with its own answer, and the first
                // chunk's error (the cause) is the one reported.
                await group.UnicastAsync(memberId, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                var now = Interlocked.Add(ref confirmed, dataLength);
                progress?.Report(new StreamTransferProgress(now, total));
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false); // stop reading and sending new chunks
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                window.Release();
            }
        }
    }
}
