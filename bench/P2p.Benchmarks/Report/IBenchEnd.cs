namespace P2p.Benchmarks.Report;

/// <summary>
/// One end of a data channel link under test: a P2p.WebRtc peer connection in this process, or a
/// Chromium page. Channels are negotiated (same id on both ends, no DCEP), reliable and ordered.
/// </summary>
internal interface IBenchEnd
{
    /// <summary>".NET" or "Chromium".</summary>
    string Kind { get; }

    /// <summary>Creates the negotiated channel <paramref name="id"/> on this end (do it on both, then wait).</summary>
    Task CreateChannelAsync(int id);

    Task WaitOpenAsync(int id);

    /// <summary>Queues <paramref name="total"/> bytes in <paramref name="size"/>-byte messages with back-pressure (pause above 4 MiB buffered, resume at 1 MiB); completes when all is queued.</summary>
    Task SendBulkAsync(int id, long total, int size);

    /// <summary>Starts counting received bytes on the channel; <see cref="ReceivedAsync"/> completes once <paramref name="total"/> arrived.</summary>
    Task ArmCountAsync(int id, long total);

    Task ReceivedAsync();

    /// <summary>Echoes every message on the channel.</summary>
    Task EchoAsync(int id);

    /// <summary>Sends <paramref name="size"/>-byte pings one at a time against an echoing end; round-trip times in µs (warm-up excluded).</summary>
    Task<double[]> PingPongAsync(int id, int count, int size, int warmup);

    Task CloseChannelAsync(int id);
}
