using System.Net;
using System.Net.Sockets;

namespace P2p.WebRtc.Mdns;

/// <summary>
/// Where <see cref="MdnsResolver"/> and <see cref="MdnsResponder"/> get their UDP sockets. The default,
/// <see cref="SystemMdnsSocketFactory"/>, creates them in the calling process's network namespace; a test lab
/// creates them inside another one (for example on a thread that entered it with <c>setns()</c>): a socket
/// stays in the namespace it was created in, whatever thread binds, joins or sends on it later.
/// </summary>
public interface IMdnsSocketFactory
{
    /// <summary>Creates an unbound UDP socket of <paramref name="family"/>; the caller binds it, joins groups and owns it.</summary>
    /// <param name="family"><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</param>
    /// <returns>A new socket.</returns>
    Socket CreateSocket(AddressFamily family);

    /// <summary>
    /// The index of the interface that holds <paramref name="localAddress"/>, used to join and send to the IPv6
    /// group on that interface; 0 when unknown (the system's choice).
    /// </summary>
    /// <param name="localAddress">One of this host's addresses.</param>
    /// <returns>The interface index, or 0.</returns>
    int GetInterfaceIndex(IPAddress localAddress);
}
