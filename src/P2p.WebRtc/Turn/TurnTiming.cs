namespace P2p.WebRtc.Turn;

/// <summary>The client's timers (RFC 8656 §7, §9, §12; RFC 8489 §6.2.1). The defaults follow the RFCs; tests shorten them.</summary>
internal sealed record TurnTiming
{
    /// <summary>The lifetime asked for in Allocate and Refresh (the server may grant less): 600 s (§7.2).</summary>
    public TimeSpan RequestedLifetime { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>How long before expiry an allocation, permission or channel is refreshed: 60 s (never later than half its lifetime).</summary>
    public TimeSpan RefreshMargin { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A permission's lifetime at the server: 300 s (§9).</summary>
    public TimeSpan PermissionLifetime { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>A channel binding's lifetime at the server: 600 s (§12).</summary>
    public TimeSpan ChannelLifetime { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>The first retransmission timeout of a request over UDP: 500 ms, doubling (RFC 8489 §6.2.1).</summary>
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Transmissions of a request over UDP before it times out (Rc = 7).</summary>
    public int MaxTransmissions { get; init; } = 7;

    /// <summary>How long a request waits for its response, over any transport: 39.5 s (RFC 8489 §6.2.1, §6.2.2).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMilliseconds(39_500);

    /// <summary>How long after a failed refresh (a server error, no answer) it is tried again, while what it refreshes still lives: 5 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>When to refresh something granted for <paramref name="lifetime"/>, measured from the grant.</summary>
    public TimeSpan RefreshAfter(TimeSpan lifetime) =>
        lifetime - RefreshMargin > lifetime / 2 ? lifetime - RefreshMargin : lifetime / 2;
}
