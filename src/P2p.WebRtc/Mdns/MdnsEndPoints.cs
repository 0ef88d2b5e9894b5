using System.Net;
using System.Net.Sockets;

namespace P2p.WebRtc.Mdns;

/// <summary>The well-known mDNS port and groups (RFC 6762 §3, §5).</summary>
public static class MdnsEndPoints
{
    /// <summary>UDP port 5353.</summary>
    public const int Port = 5353;

    /// <summary>The IPv4 group, 224.0.0.251.</summary>
    public static IPAddress IPv4Group { get; } = IPAddress.Parse("224.0.0.251");

    /// <summary>The IPv6 group, ff02::fb.</summary>
    public static IPAddress IPv6Group { get; } = IPAddress.Parse("ff02::fb");

    /// <summary>The group of <paramref name="family"/>.</summary>
    /// <param name="family">IPv4 or IPv6.</param>
    /// <returns>224.0.0.251 or ff02::fb.</returns>
    public static IPAddress GroupOf(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? IPv6Group : IPv4Group;
}
