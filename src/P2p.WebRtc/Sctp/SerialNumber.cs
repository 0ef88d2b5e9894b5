namespace P2p.WebRtc.Sctp;

/// <summary>
/// Serial number arithmetic (RFC 1982) for the 32-bit TSNs and 16-bit stream sequence numbers of
/// RFC 9260 §1.6: comparisons are made modulo 2^32 (2^16), so numbers may wrap around.
/// </summary>
internal static class SerialNumber
{
    /// <summary>True when TSN <paramref name="a"/> is before <paramref name="b"/> (RFC 9260 §1.6).</summary>
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;

    /// <summary>True when TSN <paramref name="a"/> is before or equal to <paramref name="b"/>.</summary>
    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;

    /// <summary>True when TSN <paramref name="a"/> is after <paramref name="b"/>.</summary>
    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;

    /// <summary>True when TSN <paramref name="a"/> is after or equal to <paramref name="b"/>.</summary>
    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;

    /// <summary>The later of two TSNs.</summary>
    public static uint Max(uint a, uint b) => Gt(a, b) ? a : b;

    /// <summary>True when stream sequence number <paramref name="a"/> is before <paramref name="b"/>.</summary>
    public static bool Lt(ushort a, ushort b) => (short)(a - b) < 0;

    /// <summary>True when stream sequence number <paramref name="a"/> is after <paramref name="b"/>.</summary>
    public static bool Gt(ushort a, ushort b) => (short)(a - b) > 0;
}
