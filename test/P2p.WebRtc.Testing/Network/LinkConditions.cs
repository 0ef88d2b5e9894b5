namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// What a <see cref="VirtualLink"/> does to each datagram crossing it, in either direction. Every random choice
/// comes from the network's seeded generator, so a seed reproduces the same losses, delays and duplicates.
/// </summary>
public sealed record LinkConditions
{
    /// <summary>A link that neither loses, delays, reorders nor duplicates, with no MTU limit.</summary>
    public static LinkConditions Perfect { get; } = new();

    /// <summary>The probability (0–1) that a datagram is lost.</summary>
    public double Loss { get; init; }

    /// <summary>The fixed one-way delay.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// The largest extra delay, drawn uniformly from [0, <see cref="Jitter"/>] per datagram. Jitter larger than the
    /// interval between datagrams reorders them.
    /// </summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>The probability (0–1) that a datagram is held back by <see cref="ReorderDelay"/>, so later ones overtake it.</summary>
    public double Reordering { get; init; }

    /// <summary>How long a reordered datagram is held back: 10 ms by default.</summary>
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The probability (0–1) that a datagram is delivered twice (the copy a little later, by up to <see cref="Jitter"/> more).</summary>
    public double Duplication { get; init; }

    /// <summary>
    /// The link MTU in bytes: a datagram whose IPv4 packet (payload + 20 bytes of IPv4 header + 8 of UDP) is larger is
    /// dropped (no fragmentation). <see langword="null"/>: no limit.
    /// </summary>
    public int? Mtu { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A probability outside 0–1, a negative time, an MTU under 28.</exception>
    public void Validate()
    {
        Probability(Loss, nameof(Loss));
        Probability(Reordering, nameof(Reordering));
        Probability(Duplication, nameof(Duplication));
        NotNegative(Delay, nameof(Delay));
        NotNegative(Jitter, nameof(Jitter));
        NotNegative(ReorderDelay, nameof(ReorderDelay));
        if (Mtu is < 28)
        {
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, "An IPv4 UDP packet needs at least 28 bytes.");
        }
    }

    private static void Probability(double value, string name)
    {
        if (double.IsNaN(value) || value is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(name, value, "A probability is between 0 and 1.");
        }
    }

    private static void NotNegative(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must not be negative.");
        }
    }
}
