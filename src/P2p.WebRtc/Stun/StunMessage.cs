using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace P2p.WebRtc.Stun;

/// <summary>
/// A parsed STUN message (RFC 8489 §5): a validated view over the datagram's bytes. Parsing checks
/// the header, the length, every attribute's bounds and padding, the sizes of the integrity
/// attributes, that FINGERPRINT is last and, when present, its value. Attributes are then read
/// without allocation. Per RFC 8489 §14.5, attributes after MESSAGE-INTEGRITY other than
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored.
/// </summary>
public readonly ref struct StunMessage
{
    private readonly int _integrityOffset;
    private readonly int _integritySha256Offset;
    private readonly int _fingerprintOffset;

    private StunMessage(ReadOnlySpan<byte> data, int integrityOffset, int integritySha256Offset, int fingerprintOffset)
    {
        Data = data;
        _integrityOffset = integrityOffset;
        _integritySha256Offset = integritySha256Offset;
        _fingerprintOffset = fingerprintOffset;
        MessageType = BinaryPrimitives.ReadUInt16BigEndian(data);
        TransactionId = StunTransactionId.Read(data[8..]);
    }

    /// <summary>The whole message.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>The 14-bit message type (method and class).</summary>
    public ushort MessageType { get; }

    /// <summary>The method (RFC 8489 §5: the M bits).</summary>
    public StunMethod Method => (StunMethod)StunMessageType.GetMethod(MessageType);

    /// <summary>The class (RFC 8489 §5: the C bits).</summary>
    public StunMessageClass Class => StunMessageType.GetClass(MessageType);

    /// <summary>The transaction id.</summary>
    public StunTransactionId TransactionId { get; }

    /// <summary>Whether MESSAGE-INTEGRITY is present.</summary>
    public bool HasMessageIntegrity => _integrityOffset >= 0;

    /// <summary>Whether MESSAGE-INTEGRITY-SHA256 is present.</summary>
    public bool HasMessageIntegritySha256 => _integritySha256Offset >= 0;

    /// <summary>Whether FINGERPRINT is present (and, since parsing succeeded, correct).</summary>
    public bool HasFingerprint => _fingerprintOffset >= 0;

    /// <summary>
    /// Quick demultiplexing test (RFC 7983 plus the magic cookie): could this datagram be STUN?
    /// </summary>
    /// <param name="datagram">The datagram.</param>
    /// <returns>True when it is long enough, starts with 0–3 and carries the magic cookie.</returns>
    public static bool IsStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= StunConstants.HeaderSize && datagram[0] <= 3
        && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == StunConstants.MagicCookie;

    /// <summary>Parses and validates a datagram. Never throws for any input.</summary>
    /// <param name="datagram">The datagram.</param>
    /// <param name="message">The message when the result is <see cref="StunParseResult.Success"/>.</param>
    /// <returns>The outcome.</returns>
    public static StunParseResult TryParse(ReadOnlySpan<byte> datagram, out StunMessage message)
    {
        message = default;
        if (datagram.Length < StunConstants.HeaderSize)
        {
            return StunParseResult.TooShort;
        }

        if ((datagram[0] & 0xC0) != 0 || BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != StunConstants.MagicCookie)
        {
            return StunParseResult.NotStun;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if ((length & 3) != 0 || length + StunConstants.HeaderSize != datagram.Length)
        {
            return StunParseResult.BadLength;
        }

        int integrity = -1, integrity256 = -1, fingerprint = -1;
        var pos = StunConstants.HeaderSize;
        while (pos < datagram.Length)
        {
            if (datagram.Length - pos < 4)
            {
                return StunParseResult.TruncatedAttribute;
            }

            if (fingerprint >= 0)
            {
                return StunParseResult.FingerprintNotLast;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(datagram[pos..]);
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(pos + 2)..]);
            var padded = (valueLength + 3) & ~3;
            if (padded > datagram.Length - pos - 4)
            {
                return StunParseResult.TruncatedAttribute;
            }

            switch ((StunAttributeType)type)
            {
                case StunAttributeType.MessageIntegrity when integrity < 0 && integrity256 < 0:
                    if (valueLength != StunConstants.MessageIntegritySize)
                    {
                        return StunParseResult.BadAttribute;
                    }

                    integrity = pos;
                    break;
                case StunAttributeType.MessageIntegritySha256 when integrity256 < 0:
                    if (valueLength is < 16 or > 32 || (valueLength & 3) != 0)
                    {
                        return StunParseResult.BadAttribute;
                    }

                    integrity256 = pos;
                    break;
                case StunAttributeType.Fingerprint:
                    if (valueLength != 4)
                    {
                        return StunParseResult.BadAttribute;
                    }

                    fingerprint = pos;
                    break;
            }

            pos += 4 + padded;
        }

        if (fingerprint >= 0)
        {
            var expected = StunIntegrity.Fingerprint(datagram[..fingerprint]);
            if (BinaryPrimitives.ReadUInt32BigEndian(datagram[(fingerprint + 4)..]) != expected)
            {
                return StunParseResult.BadFingerprint;
            }
        }

        message = new StunMessage(datagram, integrity, integrity256, fingerprint);
        return StunParseResult.Success;
    }

    /// <summary>Enumerates the attributes in order (those after MESSAGE-INTEGRITY are skipped, RFC 8489 §14.5).</summary>
    /// <returns>An allocation-free enumerator.</returns>
    public AttributeEnumerator GetEnumerator() => new(this);

    /// <summary>Finds the first attribute of a type.</summary>
    /// <param name="type">The type.</param>
    /// <param name="value">Its value.</param>
    /// <returns>Whether it was found.</returns>
    public bool TryGetAttribute(StunAttributeType type, out ReadOnlySpan<byte> value)
    {
        foreach (var a in this)
        {
            if (a.RawType == (ushort)type)
            {
                value = a.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Whether an attribute of this type is present.</summary>
    /// <param name="type">The type.</param>
    /// <returns>True when present.</returns>
    public bool HasAttribute(StunAttributeType type) => TryGetAttribute(type, out _);

    /// <summary>Reads a 32-bit attribute (e.g. PRIORITY).</summary>
    /// <param name="type">The type.</param>
    /// <param name="value">The value.</param>
    /// <returns>False when absent or not 4 bytes long.</returns>
    public bool TryGetUInt32(StunAttributeType type, out uint value)
    {
        value = 0;
        if (!TryGetAttribute(type, out var v) || v.Length != 4)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(v);
        return true;
    }

    /// <summary>Reads a 64-bit attribute (e.g. ICE-CONTROLLING's tie-breaker).</summary>
    /// <param name="type">The type.</param>
    /// <param name="value">The value.</param>
    /// <returns>False when absent or not 8 bytes long.</returns>
    public bool TryGetUInt64(StunAttributeType type, out ulong value)
    {
        value = 0;
        if (!TryGetAttribute(type, out var v) || v.Length != 8)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt64BigEndian(v);
        return true;
    }

    /// <summary>Reads XOR-MAPPED-ADDRESS (RFC 8489 §14.2).</summary>
    /// <param name="endPoint">The address.</param>
    /// <returns>False when absent or malformed.</returns>
    public bool TryGetXorMappedAddress(out IPEndPoint? endPoint) => TryGetXorAddress(StunAttributeType.XorMappedAddress, out endPoint);

    /// <summary>Reads an XOR-encoded address attribute (XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS).</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="endPoint">The address.</param>
    /// <returns>False when absent or malformed.</returns>
    public bool TryGetXorAddress(StunAttributeType type, out IPEndPoint? endPoint)
    {
        endPoint = null;
        return TryGetAttribute(type, out var v) && StunAddressCodec.TryDecodeXor(v, TransactionId, out endPoint);
    }

    /// <summary>Reads MAPPED-ADDRESS (RFC 8489 §14.1).</summary>
    /// <param name="endPoint">The address.</param>
    /// <returns>False when absent or malformed.</returns>
    public bool TryGetMappedAddress(out IPEndPoint? endPoint)
    {
        endPoint = null;
        return TryGetAttribute(StunAttributeType.MappedAddress, out var v) && StunAddressCodec.TryDecode(v, out endPoint);
    }

    /// <summary>Reads a UTF-8 text attribute (USERNAME, SOFTWARE, REALM, NONCE).</summary>
    /// <param name="type">The type.</param>
    /// <returns>The text, or <see langword="null"/> when absent or not valid UTF-8.</returns>
    public string? GetString(StunAttributeType type)
    {
        if (!TryGetAttribute(type, out var v))
        {
            return null;
        }

        try
        {
            return new UTF8Encoding(false, true).GetString(v);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Reads ERROR-CODE (RFC 8489 §14.8).</summary>
    /// <param name="code">The code, 300–699.</param>
    /// <param name="reason">The reason phrase bytes (UTF-8).</param>
    /// <returns>False when absent or malformed.</returns>
    public bool TryGetErrorCode(out int code, out ReadOnlySpan<byte> reason)
    {
        code = 0;
        reason = default;
        if (!TryGetAttribute(StunAttributeType.ErrorCode, out var v) || v.Length < 4)
        {
            return false;
        }

        var cls = v[2] & 0x07;
        var number = v[3];
        if (cls is < 3 or > 6 || number > 99)
        {
            return false;
        }

        code = (cls * 100) + number;
        reason = v[4..];
        return true;
    }

    /// <summary>Reads UNKNOWN-ATTRIBUTES (RFC 8489 §14.9) into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where to write the types.</param>
    /// <returns>How many were written, or -1 when absent or malformed.</returns>
    public int GetUnknownAttributes(Span<ushort> destination)
    {
        if (!TryGetAttribute(StunAttributeType.UnknownAttributes, out var v) || (v.Length & 1) != 0)
        {
            return -1;
        }

        var n = Math.Min(destination.Length, v.Length / 2);
        for (var i = 0; i < n; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt16BigEndian(v[(i * 2)..]);
        }

        return n;
    }

    /// <summary>
    /// Lists the comprehension-required attribute types this library does not know (RFC 8489 §6.3.1:
    /// a request carrying any is answered with 420 and UNKNOWN-ATTRIBUTES).
    /// </summary>
    /// <param name="destination">Where to write them.</param>
    /// <returns>How many were written (at most the destination's length).</returns>
    public int GetUnknownComprehensionRequired(Span<ushort> destination)
    {
        var n = 0;
        foreach (var a in this)
        {
            if (n < destination.Length && a.IsComprehensionRequired && !Enum.IsDefined(a.Type))
            {
                destination[n++] = a.RawType;
            }
        }

        return n;
    }

    /// <summary>Checks MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) with a key, in constant time.</summary>
    /// <param name="key">The key (see <see cref="StunCredentials"/>).</param>
    /// <returns>False when absent or wrong.</returns>
    public bool VerifyMessageIntegrity(ReadOnlySpan<byte> key)
    {
        if (_integrityOffset < 0)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[20];
        StunIntegrity.ComputeHmac(Data, _integrityOffset, _integrityOffset + 4 + 20 - StunConstants.HeaderSize, key, false, mac);
        return CryptographicOperations.FixedTimeEquals(mac, Data.Slice(_integrityOffset + 4, 20));
    }

    /// <summary>Checks MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), possibly truncated, in constant time.</summary>
    /// <param name="key">The key.</param>
    /// <returns>False when absent or wrong.</returns>
    public bool VerifyMessageIntegritySha256(ReadOnlySpan<byte> key)
    {
        if (_integritySha256Offset < 0)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(Data[(_integritySha256Offset + 2)..]);
        Span<byte> mac = stackalloc byte[32];
        StunIntegrity.ComputeHmac(Data, _integritySha256Offset, _integritySha256Offset + 4 + length - StunConstants.HeaderSize, key, true, mac);
        return CryptographicOperations.FixedTimeEquals(mac[..length], Data.Slice(_integritySha256Offset + 4, length));
    }

    /// <summary>An allocation-free attribute enumerator.</summary>
    public ref struct AttributeEnumerator
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly int _integrityOffset;
        private int _next;

        internal AttributeEnumerator(StunMessage message)
        {
            _data = message.Data;
            var mi = message._integrityOffset >= 0 ? message._integrityOffset : int.MaxValue;
            var mi256 = message._integritySha256Offset >= 0 ? message._integritySha256Offset : int.MaxValue;
            _integrityOffset = Math.Min(mi, mi256);
            _next = StunConstants.HeaderSize;
            Current = default;
        }

        /// <summary>The current attribute.</summary>
        public StunAttribute Current { get; private set; }

        /// <summary>Moves to the next attribute.</summary>
        /// <returns>False at the end.</returns>
        public bool MoveNext()
        {
            while (_next < _data.Length)
            {
                var pos = _next;
                var type = BinaryPrimitives.ReadUInt16BigEndian(_data[pos..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(_data[(pos + 2)..]);
                _next = pos + 4 + ((length + 3) & ~3);
                if (pos > _integrityOffset && type is not ((ushort)StunAttributeType.MessageIntegritySha256 or (ushort)StunAttributeType.Fingerprint or (ushort)StunAttributeType.MessageIntegrity))
                {
                    continue; // RFC 8489 §14.5/§14.6: ignored after the integrity attribute(s)
                }

                Current = new StunAttribute(type, _data.Slice(pos + 4, length), pos);
                return true;
            }

            return false;
        }
    }
}
