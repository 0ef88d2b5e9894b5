using System.Net;

namespace P2p.WebRtc.Testing.Namespaces;

/// <summary>
/// One LAN segment between two hosts: two <see cref="NetworkNamespace"/>s joined by a veth pair (<c>eth0</c> in
/// each), addressed 198.51.100.1/24 and 198.51.100.2/24, with a route for 224.0.0.0/4 on <c>eth0</c> so that
/// multicast (mDNS) goes out on the link. Nothing else is reachable from either host.
/// </summary>
public sealed class NamespaceLan : IDisposable
{
    private NamespaceLan(NetworkNamespace a, NetworkNamespace b)
    {
        A = a;
        B = b;
    }

    /// <summary>The first host (198.51.100.1).</summary>
    public NetworkNamespace A { get; }

    /// <summary>The second host (198.51.100.2).</summary>
    public NetworkNamespace B { get; }

    /// <summary>A's address.</summary>
    public static IPAddress AddressA { get; } = IPAddress.Parse("198.51.100.1");

    /// <summary>B's address.</summary>
    public static IPAddress AddressB { get; } = IPAddress.Parse("198.51.100.2");

    /// <summary>Creates both namespaces and the link (see <see cref="NetworkNamespace.IsSupported"/>).</summary>
    /// <param name="prefix">A short prefix for the namespaces' names.</param>
    /// <returns>The LAN; dispose it to delete it.</returns>
    public static NamespaceLan Create(string prefix)
    {
        var a = NetworkNamespace.Create(prefix + "a");
        NetworkNamespace? b = null;
        try
        {
            b = NetworkNamespace.Create(prefix + "b");
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
