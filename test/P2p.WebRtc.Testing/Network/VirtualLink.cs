namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// The link of a <see cref="VirtualHost"/> to its realm, or of a <see cref="VirtualRouter"/> to its outside realm
/// (its uplink). Its conditions apply to every datagram crossing it, in both directions, and may change at any time;
/// a change applies to datagrams sent afterwards (those in flight keep their fate).
/// </summary>
public sealed class VirtualLink
{
    private readonly VirtualNetwork _network;
    private LinkConditions _conditions = LinkConditions.Perfect;
    private bool _cut;

    internal VirtualLink(VirtualNetwork network, string name)
    {
        _network = network;
        Name = name;
    }

    /// <summary>The name of the host or router the link belongs to.</summary>
    public string Name { get; }

    /// <summary>Loss, delay, jitter, reordering, duplication and MTU; <see cref="LinkConditions.Perfect"/> at first.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Invalid values (set).</exception>
    public LinkConditions Conditions
    {
        get
        {
            lock (_network.Sync)
            {
                return _conditions;
            }
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            lock (_network.Sync)
            {
                _conditions = value;
            }
        }
    }

    /// <summary>Whether the link is cut: every datagram crossing it is dropped.</summary>
    public bool IsCut
    {
        get
        {
            lock (_network.Sync)
            {
                return _cut;
            }
        }
    }

    /// <summary>Cuts the link (a pulled cable, a dead Wi-Fi): datagrams sent from now on are dropped, until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        lock (_network.Sync)
        {
            _cut = true;
        }
    }

    /// <summary>Restores a cut link.</summary>
    public void Restore()
    {
        lock (_network.Sync)
        {
            _cut = false;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"link of {Name}";

    internal LinkConditions ConditionsLocked => _conditions;

    internal bool IsCutLocked => _cut;
}
