using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Mdns;

namespace P2p.WebRtc.Testing.Namespaces;

/// <summary>mDNS sockets created inside a <see cref="NetworkNamespace"/>; interface indexes looked up there.</summary>
/// <param name="ns">The namespace.</param>
public sealed class NamespaceMdnsSocketFactory(NetworkNamespace ns) : IMdnsSocketFactory
{
    /// <inheritdoc/>
    public Socket CreateSocket(AddressFamily family) => ns.Invoke(() => SystemMdnsSocketFactory.Instance.CreateSocket(family));

    /// <inheritdoc/>
    public int GetInterfaceIndex(IPAddress localAddress) => ns.Invoke(() => SystemMdnsSocketFactory.Instance.GetInterfaceIndex(localAddress));
}
