using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// A host of a <see cref="VirtualRealm"/> with one or more IPv4 addresses. It is an
/// <see cref="IDatagramSocketFactory"/>: give it to an ICE agent (<c>IceAgentOptions.SocketFactory</c>) and the agent
/// gathers its addresses and binds virtual sockets on them.
/// </summary>
public sealed class VirtualHost : IDatagramSocketFactory
{
    private IPAddress[] _addresses;
    private readonly Dictionary<IPEndPoint, VirtualSocket> _sockets = [];

    internal VirtualHost(VirtualRealm realm, string name, IPAddress[] addresses)
    {
        Realm = realm;
        Name = name;
        _addresses = addresses;
        Link = new VirtualLink(realm.Network, name);
    }

    /// <summary>The realm the host is in.</summary>
    public VirtualRealm Realm { get; }

    /// <summary>The network.</summary>
    public VirtualNetwork Network => Realm.Network;

    /// <summary>The name.</summary>
    public string Name { get; }

    /// <summary>The host's addresses.</summary>
    public IReadOnlyList<IPAddress> Addresses
    {
        get
        {
            lock (Network.Sync)
            {
                return [.. _addresses];
            }
        }
    }

    /// <summary>The first address.</summary>
    public IPAddress Address
    {
        get
        {
            lock (Network.Sync)
            {
                return _addresses[0];
            }
        }
    }

    /// <summary>The host's link to its realm (every datagram to or from another host crosses it).</summary>
    public VirtualLink Link { get; }

    /// <summary>The host's addresses (no loopback: a virtual host has none).</summary>
    /// <returns><see cref="Addresses"/>.</returns>
    public IReadOnlyList<IPAddress> GetLocalAddresses() => Addresses;

    /// <summary>
    /// Moves the host to another address of its realm (a DHCP renumbering, a move to another network): from now on
    /// datagrams to <paramref name="oldAddress"/> find no host (<see cref="DatagramDropReason.NoRoute"/>, or a NAT's
    /// mapping leads nowhere), and sockets still bound to it send nothing
    /// (<see cref="DatagramDropReason.SourceAddressGone"/>). New sockets bind on the new address.
    /// </summary>
    /// <param name="oldAddress">One of <see cref="Addresses"/>.</param>
    /// <param name="newAddress">The new address (of the realm's range, unused); <see langword="null"/> allocates one.</param>
    /// <returns>The new address.</returns>
    /// <exception cref="ArgumentException">Not an address of this host, or an unusable new address.</exception>
    public IPAddress ChangeAddress(IPAddress oldAddress, IPAddress? newAddress = null)
    {
        ArgumentNullException.ThrowIfNull(oldAddress);
        lock (Network.Sync)
        {
            var index = Array.IndexOf(_addresses, oldAddress);
            if (index < 0)
            {
                throw new ArgumentException($"{oldAddress} is not an address of {Name}.", nameof(oldAddress));
            }

            newAddress = Realm.ReplaceAddress(oldAddress, newAddress);
            var addresses = (IPAddress[])_addresses.Clone();
            addresses[index] = newAddress;
            _addresses = addresses;
            return newAddress;
        }
    }

    /// <summary>Binds a socket to <paramref name="localAddress"/> on a free ephemeral port (49152–65535, chosen by the seeded generator).</summary>
    /// <param name="localAddress">One of <see cref="Addresses"/>.</param>
    /// <returns>The socket, not started.</returns>
    /// <exception cref="SocketException">Not an address of this host (AddressNotAvailable), or no free port.</exception>
    public IDatagramSocket Bind(IPAddress localAddress) => BindSocket(localAddress, 0);

    /// <summary>Binds a socket to <paramref name="localAddress"/> and <paramref name="port"/> (0: an ephemeral port).</summary>
    /// <param name="localAddress">One of <see cref="Addresses"/>.</param>
    /// <param name="port">The port, or 0.</param>
    /// <returns>The socket, not started.</returns>
    /// <exception cref="SocketException">Not an address of this host (AddressNotAvailable), or the port is taken (AddressAlreadyInUse).</exception>
    public VirtualSocket BindSocket(IPAddress localAddress, int port)
    {
        ArgumentNullException.ThrowIfNull(localAddress);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        lock (Network.Sync)
        {
            if (!HasAddress(localAddress))
            {
                throw new SocketException((int)SocketError.AddressNotAvailable);
            }

            if (port == 0)
            {
                for (var attempt = 0; attempt < 1000 && port == 0; attempt++)
                {
                    var candidate = Network.Random.Next(49152, 65536);
                    if (!_sockets.ContainsKey(new IPEndPoint(localAddress, candidate)))
                    {
                        port = candidate;
                    }
                }

                if (port == 0)
                {
                    throw new SocketException((int)SocketError.NoBufferSpaceAvailable);
                }
            }

            var endPoint = new IPEndPoint(localAddress, port);
            if (_sockets.ContainsKey(endPoint))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }

            var socket = new VirtualSocket(this, endPoint);
            _sockets.Add(endPoint, socket);
            return socket;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({string.Join(", ", (IEnumerable<IPAddress>)_addresses)})";

    internal bool HasAddress(IPAddress address) => Array.IndexOf(_addresses, address) >= 0;

    /// <summary>Under the lock.</summary>
    internal VirtualSocket? FindSocket(IPEndPoint endPoint) => _sockets.GetValueOrDefault(endPoint);

    /// <summary>Under the lock.</summary>
    internal void Remove(VirtualSocket socket) => _sockets.Remove(socket.LocalEndPoint);
}
