using System.Globalization;
using System.Net;

namespace P2p.Testing.NatLab;

/// <summary>
/// The smallest lab: one LAN segment between two hosts, two <see cref="NetworkNamespace"/>s joined by a veth pair
/// (<c>eth0</c> in each), addressed 198.51.100.1/24 and 198.51.100.2/24, with a route for 224.0.0.0/4 on <c>eth0</c>
/// so that multicast (mDNS) goes out on the link. No router, no NAT: nothing else is reachable from either host.
/// The mDNS tests use it (a browser on default settings in <see cref="B"/>, our peer in <see cref="A"/>).
/// </summary>
public sealed class NamespaceLan : IDisposable
{
    private static int s_lans;

    private NamespaceLan(NetworkNamespace a, NetworkNamespace b)
    {
        A = a;
        B = b;
        SocketsA = new NamespaceSocketFactory(a);
        SocketsB = new NamespaceSocketFactory(b);
        MdnsA = new NamespaceMdnsSocketFactory(a);
        MdnsB = new NamespaceMdnsSocketFactory(b);
    }

    /// <summary>The first host (198.51.100.1).</summary>
    public NetworkNamespace A { get; }

    /// <summary>The second host (198.51.100.2).</summary>
    public NetworkNamespace B { get; }

    /// <summary>A's address.</summary>
    public static IPAddress AddressA { get; } = IPAddress.Parse("198.51.100.1");

    /// <summary>B's address.</summary>
    public static IPAddress AddressB { get; } = IPAddress.Parse("198.51.100.2");

    /// <summary>ICE sockets inside A (its only address besides loopback is <see cref="AddressA"/>).</summary>
    public NamespaceSocketFactory SocketsA { get; }

    /// <summary>ICE sockets inside B.</summary>
    public NamespaceSocketFactory SocketsB { get; }

    /// <summary>mDNS sockets inside A.</summary>
    public NamespaceMdnsSocketFactory MdnsA { get; }

    /// <summary>mDNS sockets inside B.</summary>
    public NamespaceMdnsSocketFactory MdnsB { get; }

    /// <summary>Creates both namespaces and the link.</summary>
    /// <param name="prefix">A short prefix for the namespaces' names (letters and digits); a number makes them unique.</param>
    /// <returns>The LAN; dispose it to delete it.</returns>
    /// <exception cref="InvalidOperationException">Not root, not Linux, or iproute2 missing (see <see cref="LabCommand.RequireNamespaces"/>).</exception>
    public static NamespaceLan Create(string prefix)
    {
        LabCommand.RequireNamespaces();
        var name = prefix + Interlocked.Increment(ref s_lans).ToString(CultureInfo.InvariantCulture);
        var a = NetworkNamespace.Create(name + "a");
        NetworkNamespace? b = null;
        try
        {
            b = NetworkNamespace.Create(name + "b");
            a.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b.Name);
            Configure(a, AddressA);
            Configure(b, AddressB);
            return new NamespaceLan(a, b);
        }
        catch
        {
            b?.Dispose();
            a.Dispose();
            throw;
        }
    }

    /// <summary>Deletes both namespaces.</summary>
    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }

    private static void Configure(NetworkNamespace ns, IPAddress address)
    {
        ns.Ip("addr", "add", address + "/24", "dev", "eth0");
        ns.Ip("link", "set", "eth0", "up");
        ns.Ip("route", "add", "224.0.0.0/4", "dev", "eth0");
        ns.Ip("route", "add", "default", "dev", "eth0");
    }
}
