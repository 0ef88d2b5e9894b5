namespace P2p.Core;

/// <summary>
/// Relayed members (docs/concepts.md, "Relayed members"): whether this member reaches members it cannot connect to
/// directly through another member, and whether it relays for others. Both are on by default.
/// </summary>
public sealed class RelayOptions
{
    /// <summary>
    /// Reach members that cannot be connected to directly (every attempt failed, even through TURN) through a member
    /// connected to both, and answer such routes. Default <see langword="true"/>; when <see langword="false"/> such a
    /// member stays <see cref="PeerState.Failed"/> (as before the extension) and nobody can route to this member.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Relay for other members: forward what one member directly connected to this one sends to another (each message
    /// crosses at most one relay). Default <see langword="true"/>. A relay sees what it forwards; with identity keys it
    /// cannot alter or forge it (docs/threat-model.md).
    /// </summary>
    public bool Forward { get; set; } = true;

    /// <summary>How long to wait for the answers to the probes that look for a route (default 2 s); the first answer wins.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often to look for a route again while a member has neither a direct connection nor a route (default 5 s).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A copy of these settings.</summary>
    public RelayOptions Clone() => (RelayOptions)MemberwiseClone();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ProbeTimeout, TimeSpan.Zero, nameof(ProbeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryInterval, TimeSpan.Zero, nameof(RetryInterval));
    }
}
