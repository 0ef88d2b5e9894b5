using System.Net;

namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// An address realm (RFC 2663): hosts and routers that reach each other directly. The network's
/// <see cref="VirtualNetwork.Internet"/> is the public realm; each <see cref="VirtualRouter"/> has an
/// <see cref="VirtualRouter.Inside"/> realm behind it (which may hold further routers: NATs behind NATs).
/// </summary>
public sealed class VirtualRealm
{
    private readonly List<VirtualHost> _hosts = [];
    private readonly List<VirtualRouter> _routers = [];
    private readonly int _subnet;
    private int _nextHost;

    internal VirtualRealm(VirtualNetwork network, string name, VirtualRouter? gateway, int subnet)
    {
        Network = network;
        Name = name;
        Gateway = gateway;
        _subnet = subnet;
    }

    /// <summary>The network.</summary>
    public VirtualNetwork Network { get; }

    /// <summary>The name (the Internet's is "internet"; an inside realm is named after its router).</summary>
    public string Name { get; }

    /// <summary>The router this realm is the inside of; <see langword="null"/> for the Internet.</summary>
    public VirtualRouter? Gateway { get; }

    /// <summary>
    /// Whether addresses here are public ones (203.0.113.0/24, 198.51.100.0/24): the Internet, and the inside of a
    /// plain router (<see cref="NatBehavior.None"/>). Behind a NAT they come from 198.18.0.0/15.
    /// </summary>
    public bool IsPublic => Gateway is null || !Gateway.Behavior.Translates;

    /// <summary>The hosts.</summary>
    public IReadOnlyList<VirtualHost> Hosts
    {
        get
        {
            lock (Network.Sync)
            {
                return [.. _hosts];
            }
        }
    }

    /// <summary>The routers whose outside is this realm.</summary>
    public IReadOnlyList<VirtualRouter> Routers
    {
        get
        {
            lock (Network.Sync)
            {
                return [.. _routers];
            }
        }
    }

    /// <summary>Adds a host.</summary>
    /// <param name="name">A name for messages.</param>
    /// <param name="addresses">
    /// Its IPv4 addresses: public ones (<see cref="VirtualAddresses.IsPublic"/>) in a public realm, inside ones
    /// (<see cref="VirtualAddresses.IsPrivate"/>) behind a NAT. None: one is allocated.
    /// </param>
    /// <returns>The host.</returns>
    /// <exception cref="ArgumentException">An address of the wrong range, or one already used in this realm.</exception>
    public VirtualHost AddHost(string name, params IPAddress[] addresses)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(addresses);
        lock (Network.Sync)
        {
            if (addresses.Length == 0)
            {
                addresses = [Allocate()];
            }

            foreach (var a in addresses)
            {
                CheckNewAddress(a, nameof(addresses));
            }

            if (addresses.Distinct().Count() != addresses.Length)
            {
                throw new ArgumentException("The addresses must be distinct.", nameof(addresses));
            }

            var host = new VirtualHost(this, name, addresses);
            _hosts.Add(host);
            Claim(addresses);
            return host;
        }
    }

    /// <summary>Adds a router (a NAT, or a plain router) whose outside is this realm, and its inside realm.</summary>
    /// <param name="name">A name for messages.</param>
    /// <param name="behavior">What it does to datagrams: <see cref="NatBehavior.None"/> routes without translation.</param>
    /// <param name="externalAddress">Its address in this realm (the NAT's external address); allocated when <see langword="null"/>.</param>
    /// <returns>The router.</returns>
    /// <exception cref="ArgumentException">An address of the wrong range, or one already used in this realm.</exception>
    public VirtualRouter AddRouter(string name, NatBehavior behavior, IPAddress? externalAddress = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(behavior);
        if (behavior.MappingTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(behavior), timeout, "The mapping timeout must be positive.");
        }

        lock (Network.Sync)
        {
            externalAddress ??= Allocate();
            CheckNewAddress(externalAddress, nameof(externalAddress));
            var router = new VirtualRouter(this, name, behavior, externalAddress, behavior.Translates ? Network.AllocatePrivateSubnet() : 0);
            _routers.Add(router);
            Claim([externalAddress]);
            return router;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Under the lock: whether a host or router of this realm already has the address.</summary>
    internal bool IsAddressInUse(IPAddress address) =>
        _hosts.Exists(h => h.HasAddress(address)) || _routers.Exists(r => r.ExternalAddress.Equals(address));

    internal VirtualHost? FindHost(IPAddress address) => _hosts.Find(h => h.HasAddress(address));

    internal VirtualRouter? FindNat(IPAddress address) =>
        _routers.Find(r => r.Behavior.Translates && r.ExternalAddress.Equals(address));

    /// <summary>A plain router of this realm behind which <paramref name="address"/> lives.</summary>
    internal VirtualRouter? FindRouteDown(IPAddress address) =>
        _routers.Find(r => !r.Behavior.Translates && r.Inside.Reaches(address));

    /// <summary>Under the lock: checks (or allocates) a host's new address and releases the old one.</summary>
    internal IPAddress ReplaceAddress(IPAddress oldAddress, IPAddress? newAddress)
    {
        newAddress ??= Allocate();
        CheckNewAddress(newAddress, nameof(newAddress));
        Claim([newAddress]);
        if (IsPublic)
        {
            Network.PublicAddressesInUse.Remove(oldAddress);
        }

        return newAddress;
    }

    private bool Reaches(IPAddress address) =>
        FindHost(address) is not null || FindNat(address) is not null || FindRouteDown(address) is not null;

    private IPAddress Allocate()
    {
        if (IsPublic)
        {
            return Network.AllocatePublicAddress();
        }

        while (true)
        {
            var address = VirtualAddresses.Private(_subnet, ++_nextHost);
            if (!IsAddressInUse(address))
            {
                return address;
            }
        }
    }

    private void Claim(IPAddress[] addresses)
    {
        if (IsPublic)
        {
            Network.PublicAddressesInUse.UnionWith(addresses);
        }
    }

    private void CheckNewAddress(IPAddress address, string parameter)
    {
        ArgumentNullException.ThrowIfNull(address, parameter);
        var ok = IsPublic ? VirtualAddresses.IsPublic(address) : VirtualAddresses.IsPrivate(address);
        if (!ok)
        {
            throw new ArgumentException(
                IsPublic
                    ? $"{address}: a public realm uses 203.0.113.0/24 and 198.51.100.0/24 only."
                    : $"{address}: behind a NAT, addresses come from 198.18.0.0/15 only.",
                parameter);
        }

        if (IsAddressInUse(address) || (IsPublic && Network.PublicAddressesInUse.Contains(address)))
        {
            throw new ArgumentException($"{address} is already used in {Name}.", parameter);
        }
    }
}
