namespace WebRtcEcho;

/// <summary>What offer mode measured: bulk bytes sent and echoed back, and how long that took.</summary>
/// <param name="Bytes">Bulk payload bytes that went out and came back intact (each byte crossed the link twice).</param>
/// <param name="Messages">Bulk messages echoed.</param>
/// <param name="Seconds">From the first bulk message sent to the last one back.</param>
internal sealed record TransferResult(long Bytes, long Messages, double Seconds)
{
    /// <summary>Bytes / seconds / 10^6: the echoed payload rate, in each direction.</summary>
    public double MegabytesPerSecond => Seconds > 0 ? Bytes / Seconds / 1e6 : 0;
}
