using System.Net;
using System.Net.Sockets;

namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// The only addresses a <see cref="VirtualNetwork"/> uses: the public side from the documentation ranges
/// 203.0.113.0/24 (TEST-NET-3) and 198.51.100.0/24 (TEST-NET-2) (RFC 5737), the inside of NATs from the
/// benchmarking range 198.18.0.0/15 (RFC 2544). None of them is routed on the real Internet.
/// </summary>
public static class VirtualAddresses
{
    /// <summary>Whether <paramref name="address"/> is an IPv4 address of 203.0.113.0/24 or 198.51.100.0/24.</summary>
    /// <param name="address">The address.</param>
    /// <returns>True for a public-side address.</returns>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return (b[0] == 203 && b[1] == 0 && b[2] == 113) || (b[0] == 198 && b[1] == 51 && b[2] == 100);
    }

    /// <summary>Whether <paramref name="address"/> is an IPv4 address of 198.18.0.0/15.</summary>
    /// <param name="address">The address.</param>
    /// <returns>True for an inside (private) address.</returns>
    public static bool IsPrivate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return b[0] == 198 && b[1] is 18 or 19;
    }

    /// <summary>The <paramref name="index"/>-th public address (1–253: 203.0.113.x, 254–506: 198.51.100.x).</summary>
    internal static IPAddress Public(int index) => index switch
    {
        >= 1 and <= 253 => new IPAddress([203, 0, 113, (byte)(index + 1)]),
        >= 254 and <= 506 => new IPAddress([198, 51, 100, (byte)(index - 252)]),
        _ => throw new InvalidOperationException("The virtual network has no public address left."),
    };

    /// <summary>Host <paramref name="host"/> (1–253) of the <paramref name="subnet"/>-th /24 (1–511) of 198.18.0.0/15.</summary>
    internal static IPAddress Private(int subnet, int host)
    {
        if (subnet is < 1 or > 511 || host is < 1 or > 253)
        {
            throw new InvalidOperationException("The virtual network has no inside address left.");
        }

        return new IPAddress([198, (byte)(18 + (subnet / 256)), (byte)(subnet % 256), (byte)(host + 1)]);
    }
}
