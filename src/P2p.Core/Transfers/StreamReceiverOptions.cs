namespace P2p.Core.Transfers;

/// <summary>Limits of a <see cref="StreamReceiver"/>.</summary>
public sealed class StreamReceiverOptions
{
    /// <summary>A transfer that receives no chunk for this long is dropped (its sender stopped or left). Default 60 s.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many transfers may be open at once (further first chunks are refused with an error). Default 16.</summary>
    public int MaxConcurrentTransfers { get; set; } = 16;

    /// <summary>The clock of the idle timeout (tests use a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
