using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace P2p.WebRtc.Mdns;

/// <summary>This host's UDP sockets, in the calling thread's network namespace (the default <see cref="IMdnsSocketFactory"/>).</summary>
public sealed class SystemMdnsSocketFactory : IMdnsSocketFactory
{
    /// <summary>The shared instance.</summary>
    public static SystemMdnsSocketFactory Instance { get; } = new();

    /// <inheritdoc/>
    public Socket CreateSocket(AddressFamily family) => new(family, SocketType.Dgram, ProtocolType.Udp);

    /// <inheritdoc/>
    public int GetInterfaceIndex(IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(localAddress);
        if (localAddress.AddressFamily == AddressFamily.InterNetworkV6 && localAddress.ScopeId != 0)
        {
            return (int)localAddress.ScopeId;
        }

        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                var properties = nic.GetIPProperties();
                if (properties.UnicastAddresses.Any(u => u.Address.Equals(localAddress)))
                {
                    return localAddress.AddressFamily == AddressFamily.InterNetworkV6
                        ? properties.GetIPv6Properties().Index
                        : properties.GetIPv4Properties().Index;
                }
            }
        }
        catch (NetworkInformationException)
        {
            // unknown: the system chooses
        }

        return 0;
    }
}
