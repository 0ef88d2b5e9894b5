using System.Net;
using System.Net.Sockets;

namespace P2p.Testing.Interop;

/// <summary>
/// The only addresses interop traffic may use: 127.0.0.1, and the lab range 198.51.100.0/24 that the test
/// command's network namespace gives its <c>lan0</c> interface (for stacks that cannot use loopback).
/// </summary>
public static class InteropAddresses
{
    /// <summary>The lab address of the test namespace (test.sh).</summary>
    public static readonly IPAddress Lab = IPAddress.Parse("198.51.100.10");

    /// <summary>True for 127.0.0.1 and for addresses in 198.51.100.0/24.</summary>
    public static bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return address.Equals(IPAddress.Loopback) || (bytes[0] == 198 && bytes[1] == 51 && bytes[2] == 100);
    }

    /// <summary>
    /// True when a candidate line (<c>candidate:… &lt;address&gt; &lt;port&gt; typ …</c>) names an allowed address, or an
    /// mDNS <c>.local</c> name (a browser on default settings): it only resolves to an address on the local link.
    /// </summary>
    public static bool IsAllowedCandidate(string candidate)
    {
        var fields = candidate.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 5 && ((IPAddress.TryParse(fields[4], out var address) && IsAllowed(address)) || P2p.WebRtc.Mdns.MdnsNames.IsLocal(fields[4]));
    }
}
