using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace P2p.WebRtc.Stun;

/// <summary>
/// The address attribute encodings: MAPPED-ADDRESS (RFC 8489 §14.1) and the XOR-ed form used by
/// XOR-MAPPED-ADDRESS (§14.2) and TURN's XOR-PEER-ADDRESS / XOR-RELAYED-ADDRESS.
/// </summary>
public static class StunAddressCodec
{
    private const byte FamilyIPv4 = 0x01;
    private const byte FamilyIPv6 = 0x02;

    /// <summary>The encoded size of an address of this family (8 or 20).</summary>
    /// <param name="family">The address family.</param>
    /// <returns>The value length in bytes.</returns>
    public static int EncodedLength(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? 20 : 8;

    /// <summary>Decodes a MAPPED-ADDRESS-style value.</summary>
    /// <param name="value">The attribute value.</param>
    /// <param name="endPoint">The address.</param>
    /// <returns>False when the value is malformed.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> value, out IPEndPoint? endPoint) => TryDecode(value, default, false, out endPoint);

    /// <summary>Decodes an XOR-MAPPED-ADDRESS-style value (RFC 8489 §14.2).</summary>
    /// <param name="value">The attribute value.</param>
    /// <param name="transactionId">The transaction id of the message (the XOR key of IPv6 addresses).</param>
    /// <param name="endPoint">The address.</param>
    /// <returns>False when the value is malformed.</returns>
    public static bool TryDecodeXor(ReadOnlySpan<byte> value, StunTransactionId transactionId, out IPEndPoint? endPoint) =>
        TryDecode(value, transactionId, true, out endPoint);

    /// <summary>Encodes an address into <paramref name="destination"/>.</summary>
    /// <param name="endPoint">The address (IPv4 or IPv6).</param>
    /// <param name="xor">Whether to XOR it (XOR-MAPPED-ADDRESS).</param>
    /// <param name="transactionId">The message's transaction id (for XOR of IPv6).</param>
    /// <param name="destination">At least <see cref="EncodedLength"/> bytes.</param>
    /// <returns>The bytes written.</returns>
    public static int Encode(IPEndPoint endPoint, bool xor, StunTransactionId transactionId, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var v6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        if (!v6 && endPoint.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("Only IPv4 and IPv6 addresses can be encoded.", nameof(endPoint));
        }

        var length = v6 ? 20 : 8;
        destination[0] = 0;
        destination[1] = v6 ? FamilyIPv6 : FamilyIPv4;
        var port = (ushort)endPoint.Port;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], xor ? (ushort)(port ^ (StunConstants.MagicCookie >> 16)) : port);
        var address = destination[4..length];
        if (!endPoint.Address.TryWriteBytes(address, out _))
        {
            throw new ArgumentException("Cannot write the address.", nameof(endPoint));
        }

        if (xor)
        {
            XorAddress(address, transactionId);
        }

        return length;
    }

    private static bool TryDecode(ReadOnlySpan<byte> value, StunTransactionId transactionId, bool xor, out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (value.Length < 4)
        {
            return false;
        }

        var family = value[1];
        var length = family switch
        {
            FamilyIPv4 => 8,
            FamilyIPv6 => 20,
            _ => 0,
        };
        if (length == 0 || value.Length != length)
        {
            return false;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        if (xor)
        {
            port ^= (ushort)(StunConstants.MagicCookie >> 16);
        }

        Span<byte> address = stackalloc byte[length - 4];
        value[4..length].CopyTo(address);
        if (xor)
        {
            XorAddress(address, transactionId);
        }

        endPoint = new IPEndPoint(new IPAddress(address), port);
        return true;
    }

    private static void XorAddress(Span<byte> address, StunTransactionId transactionId)
    {
        // RFC 8489 §14.2: IPv4 is XORed with the magic cookie; IPv6 with the cookie followed by the transaction id.
        Span<byte> key = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(key, StunConstants.MagicCookie);
        transactionId.WriteTo(key[4..]);
        for (var i = 0; i < address.Length; i++)
        {
            address[i] ^= key[i];
        }
    }
}
