using System.Net;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Testing.Namespaces;

/// <summary>ICE host sockets bound inside a <see cref="NetworkNamespace"/>, on the addresses the test gave it.</summary>
/// <param name="ns">The namespace.</param>
/// <param name="addresses">The namespace's addresses that get host candidates.</param>
public sealed class NamespaceDatagramSocketFactory(NetworkNamespace ns, params IPAddress[] addresses) : IDatagramSocketFactory
{
    private readonly UdpDatagramSocketFactory _inner = new();

    /// <inheritdoc/>
    public IReadOnlyList<IPAddress> GetLocalAddresses() => addresses;

    /// <inheritdoc/>
    public IDatagramSocket Bind(IPAddress localAddress) => ns.Invoke(() => _inner.Bind(localAddress));
}
