using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Mdns;

namespace P2p.Testing.NatLab;

/// <summary>
/// mDNS sockets (<see cref="IMdnsSocketFactory"/>) created inside a <see cref="NetworkNamespace"/>, and interface
/// indexes looked up there: give it to <see cref="MdnsOptions.SocketFactory"/> next to a <see cref="NamespaceSocketFactory"/>
/// for the ICE sockets, and the agent's resolver and responder use the namespace's links.
/// </summary>
/// <param name="networkNamespace">The namespace.</param>
public sealed class NamespaceMdnsSocketFactory(NetworkNamespace networkNamespace) : IMdnsSocketFactory
{
    /// <inheritdoc/>
    public Socket CreateSocket(AddressFamily family) => networkNamespace.Run(() => SystemMdnsSocketFactory.Instance.CreateSocket(family));

    /// <inheritdoc/>
    public int GetInterfaceIndex(IPAddress localAddress) => networkNamespace.Run(() => SystemMdnsSocketFactory.Instance.GetInterfaceIndex(localAddress));
}
