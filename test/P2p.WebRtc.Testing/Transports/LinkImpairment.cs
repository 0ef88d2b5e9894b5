namespace P2p.WebRtc.Testing.Transports;

/// <summary>Impairments applied by an <see cref="InMemoryDatagramLink"/> to each direction.</summary>
/// <param name="Loss">Probability that a datagram is dropped.</param>
/// <param name="Duplicate">Probability that a datagram is delivered twice.</param>
/// <param name="Reorder">Probability that a datagram is held back and delivered after the next one.</param>
/// <param name="Seed">Seeds the random source, so a failure reproduces.</param>
public sealed record LinkImpairment(double Loss = 0, double Duplicate = 0, double Reorder = 0, int Seed = 1)
{
    /// <summary>No impairment.</summary>
    public static LinkImpairment None { get; } = new();
}
