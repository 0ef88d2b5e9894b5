using System.Buffers.Binary;
using System.Security.Cryptography;

namespace P2p.WebRtc.Sctp.Handshake;

/// <summary>
/// The State Cookie this endpoint puts in its INIT ACK (RFC 9260 §5.1.3): everything needed to build
/// the association from the COOKIE ECHO alone — both tags and initial TSNs, the peer's window,
/// stream counts and extensions — plus the creation time, all authenticated with HMAC-SHA-256 under
/// a secret key of this association, so the endpoint keeps no state for unanswered INITs (§5.1.3,
/// §5.1.5 checks the MAC and the lifetime).
/// </summary>
internal readonly record struct StateCookie(
    uint LocalTag,
    uint PeerTag,
    uint LocalInitialTsn,
    uint PeerInitialTsn,
    uint PeerARwnd,
    ushort PeerOutboundStreams,
    ushort PeerInboundStreams,
    bool PeerSupportsForwardTsn,
    bool PeerSupportsReconfig,
    long CreatedTicks)
{
    private const byte Version = 1;
    private const int BodySize = 1 + (4 * 5) + (2 * 2) + 1 + 8;
    private const int MacSize = 32;

    /// <summary>Encoded size.</summary>
    public const int Size = BodySize + MacSize;

    /// <summary>Serializes and signs the cookie.</summary>
    public byte[] Serialize(ReadOnlySpan<byte> key)
    {
        var data = new byte[Size];
        var b = data.AsSpan();
        b[0] = Version;
        BinaryPrimitives.WriteUInt32BigEndian(b[1..], LocalTag);
        BinaryPrimitives.WriteUInt32BigEndian(b[5..], PeerTag);
        BinaryPrimitives.WriteUInt32BigEndian(b[9..], LocalInitialTsn);
        BinaryPrimitives.WriteUInt32BigEndian(b[13..], PeerInitialTsn);
        BinaryPrimitives.WriteUInt32BigEndian(b[17..], PeerARwnd);
        BinaryPrimitives.WriteUInt16BigEndian(b[21..], PeerOutboundStreams);
        BinaryPrimitives.WriteUInt16BigEndian(b[23..], PeerInboundStreams);
        b[25] = (byte)((PeerSupportsForwardTsn ? 1 : 0) | (PeerSupportsReconfig ? 2 : 0));
        BinaryPrimitives.WriteInt64BigEndian(b[26..], CreatedTicks);
        HMACSHA256.HashData(key, b[..BodySize], b[BodySize..]);
        return data;
    }

    /// <summary>Checks the MAC (in constant time) and decodes; false for anything not made with <paramref name="key"/>.</summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> data, ReadOnlySpan<byte> key, out StateCookie cookie)
    {
        cookie = default;
        if (data.Length != Size || data[0] != Version)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[MacSize];
        HMACSHA256.HashData(key, data[..BodySize], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, data[BodySize..]))
        {
            return false;
        }

        cookie = new StateCookie(
            BinaryPrimitives.ReadUInt32BigEndian(data[1..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[5..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[9..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[13..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[17..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[21..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[23..]),
            (data[25] & 1) != 0,
            (data[25] & 2) != 0,
            BinaryPrimitives.ReadInt64BigEndian(data[26..]));
        return true;
    }
}
