using System.Net;

namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// A router between its <see cref="Outside"/> realm and its own <see cref="Inside"/> realm: a NAT with the RFC 4787
/// behaviours of <see cref="Behavior"/>, or a plain router (<see cref="NatBehavior.None"/>).
/// </summary>
/// <remarks>
/// A NAT allocates external ports with the network's seeded generator (no port preservation). A mapping is created by
/// an outbound datagram, refreshed by outbound datagrams only, and expires after <see cref="NatBehavior.MappingTimeout"/>
/// without them. Inbound datagrams pass only through a live mapping, and only from remotes its filtering allows.
/// </remarks>
public sealed class VirtualRouter
{
    private readonly Dictionary<MappingKey, NatMapping> _mappings = [];
    private readonly Dictionary<int, NatMapping> _byPort = [];

    internal VirtualRouter(VirtualRealm outside, string name, NatBehavior behavior, IPAddress externalAddress, int subnet)
    {
        Outside = outside;
        Name = name;
        Behavior = behavior;
        ExternalAddress = externalAddress;
        Link = new VirtualLink(outside.Network, name);
        Inside = new VirtualRealm(outside.Network, name, this, subnet);
    }

    /// <summary>The name.</summary>
    public string Name { get; }

    /// <summary>What the router does: translation behaviours, or plain routing.</summary>
    public NatBehavior Behavior { get; }

    /// <summary>The realm on the router's outside (the Internet, or the inside of another router).</summary>
    public VirtualRealm Outside { get; }

    /// <summary>The realm behind the router: add the hosts behind the NAT here.</summary>
    public VirtualRealm Inside { get; }

    /// <summary>The router's address in <see cref="Outside"/>: the NAT's external address (a plain router's own, unused, address).</summary>
    public IPAddress ExternalAddress { get; }

    /// <summary>The uplink to <see cref="Outside"/>: every datagram between the inside and the outside crosses it (hairpinned ones do not).</summary>
    public VirtualLink Link { get; }

    /// <summary>The live mappings.</summary>
    public int MappingCount
    {
        get
        {
            lock (Outside.Network.Sync)
            {
                ExpireAll(Outside.Network.Now);
                return _mappings.Count;
            }
        }
    }

    /// <summary>
    /// The external endpoint a datagram from <paramref name="internalEndPoint"/> to <paramref name="remote"/> would leave
    /// with now, if a live mapping for it exists (nothing is created).
    /// </summary>
    /// <param name="internalEndPoint">The inside source.</param>
    /// <param name="remote">The outside destination.</param>
    /// <returns>The external endpoint, or <see langword="null"/>.</returns>
    public IPEndPoint? FindMapping(IPEndPoint internalEndPoint, IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(internalEndPoint);
        ArgumentNullException.ThrowIfNull(remote);
        lock (Outside.Network.Sync)
        {
            return LiveMapping(KeyFor(internalEndPoint, remote), Outside.Network.Now)?.External;
        }
    }

    /// <summary>Forgets every mapping (a NAT reboot).</summary>
    public void ClearMappings()
    {
        lock (Outside.Network.Sync)
        {
            _mappings.Clear();
            _byPort.Clear();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Behavior}, {ExternalAddress})";

    /// <summary>Under the lock: the external source of an outbound datagram; creates or refreshes the mapping (RFC 4787 §4).</summary>
    internal IPEndPoint TranslateOutbound(IPEndPoint source, IPEndPoint destination, TimeSpan now)
    {
        var key = KeyFor(source, destination);
        var mapping = LiveMapping(key, now);
        if (mapping is null)
        {
            var random = Outside.Network.Random;
            int port;
            do
            {
                port = random.Next(1024, 65536);
            }
            while (_byPort.ContainsKey(port));

            mapping = new NatMapping(source, new IPEndPoint(ExternalAddress, port), now);
            _mappings[key] = mapping;
            _byPort[port] = mapping;
        }

        mapping.LastOutbound = now;
        mapping.Remotes.Add(destination);
        return mapping.External;
    }

    /// <summary>Under the lock: the inside destination of an inbound datagram, or why it is refused (RFC 4787 §5).</summary>
    internal DatagramDropReason? TranslateInbound(IPEndPoint source, IPEndPoint destination, TimeSpan now, out IPEndPoint inside)
    {
        inside = destination;
        if (!_byPort.TryGetValue(destination.Port, out var mapping) || Expired(mapping, now))
        {
            if (mapping is not null)
            {
                Remove(mapping);
            }

            return DatagramDropReason.NoMapping;
        }

        var allowed = Behavior.Filtering switch
        {
            NatFilteringBehavior.EndpointIndependent => true,
            NatFilteringBehavior.AddressDependent => mapping.Remotes.Any(r => r.Address.Equals(source.Address)),
            _ => mapping.Remotes.Contains(source),
        };
        if (!allowed)
        {
            return DatagramDropReason.Filtered;
        }

        inside = mapping.Internal;
        return null;
    }

    private MappingKey KeyFor(IPEndPoint source, IPEndPoint destination) => Behavior.Mapping switch
    {
        NatMappingBehavior.EndpointIndependent => new MappingKey(source, null, 0),
        NatMappingBehavior.AddressDependent => new MappingKey(source, destination.Address, 0),
        _ => new MappingKey(source, destination.Address, destination.Port),
    };

    private NatMapping? LiveMapping(MappingKey key, TimeSpan now)
    {
        if (!_mappings.TryGetValue(key, out var mapping))
        {
            return null;
        }

        if (Expired(mapping, now))
        {
            Remove(mapping);
            return null;
        }

        return mapping;
    }

    private bool Expired(NatMapping mapping, TimeSpan now) =>
        Behavior.MappingTimeout is { } timeout && now - mapping.LastOutbound >= timeout;

    private void ExpireAll(TimeSpan now)
    {
        foreach (var m in _byPort.Values.Where(m => Expired(m, now)).ToArray())
        {
            Remove(m);
        }
    }

    private void Remove(NatMapping mapping)
    {
        _byPort.Remove(mapping.External.Port);
        foreach (var (key, value) in _mappings.Where(kv => kv.Value == mapping).ToArray())
        {
            _mappings.Remove(key);
        }
    }

    /// <summary>What a mapping is reused for (RFC 4787 §4.1): the internal endpoint, and the destination as far as the behaviour distinguishes it.</summary>
    private readonly record struct MappingKey(IPEndPoint Internal, IPAddress? RemoteAddress, int RemotePort);
}
