using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace P2p.WebRtc.Stun;

/// <summary>
/// Writes a STUN message (RFC 8489 §5) into a caller-supplied buffer, attribute by attribute, keeping
/// the header's length field current. Add MESSAGE-INTEGRITY and FINGERPRINT last, in that order.
/// </summary>
/// <example>
/// <code>
/// Span&lt;byte&gt; buffer = stackalloc byte[512];
/// var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, StunTransactionId.NewRandom());
/// w.AddString(StunAttributeType.Username, "remote:local");
/// w.AddMessageIntegrity(key);
/// w.AddFingerprint();
/// socket.Send(w.Written);
/// </code>
/// </example>
public ref struct StunMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    /// <summary>Starts a message with the given method and class.</summary>
    /// <param name="buffer">The destination; 548 bytes are plenty for ICE checks.</param>
    /// <param name="method">The method.</param>
    /// <param name="messageClass">The class.</param>
    /// <param name="transactionId">The transaction id.</param>
    public StunMessageWriter(Span<byte> buffer, StunMethod method, StunMessageClass messageClass, StunTransactionId transactionId)
        : this(buffer, StunMessageType.Encode(method, messageClass), transactionId)
    {
    }

    /// <summary>Starts a message with a raw message type.</summary>
    /// <param name="buffer">The destination.</param>
    /// <param name="messageType">The 14-bit message type.</param>
    /// <param name="transactionId">The transaction id.</param>
    public StunMessageWriter(Span<byte> buffer, ushort messageType, StunTransactionId transactionId)
    {
        if (buffer.Length < StunConstants.HeaderSize)
        {
            throw new ArgumentException("The buffer cannot hold a STUN header.", nameof(buffer));
        }

        _buffer = buffer;
        TransactionId = transactionId;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)(messageType & 0x3FFF));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunConstants.MagicCookie);
        transactionId.WriteTo(buffer[8..]);
        _length = StunConstants.HeaderSize;
    }

    /// <summary>The transaction id.</summary>
    public StunTransactionId TransactionId { get; }

    /// <summary>The number of bytes written so far.</summary>
    public readonly int Length => _length;

    /// <summary>The message written so far.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    /// <summary>Adds an attribute with the given value, padded to 4 bytes with zeros.</summary>
    /// <param name="type">The type.</param>
    /// <param name="value">The value.</param>
    public void AddAttribute(StunAttributeType type, ReadOnlySpan<byte> value) => AddAttribute((ushort)type, value);

    /// <summary>Adds an attribute with a raw type.</summary>
    /// <param name="type">The type.</param>
    /// <param name="value">The value (at most 65535 bytes).</param>
    public void AddAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        var v = Reserve(type, value.Length);
        value.CopyTo(v);
    }

    /// <summary>Adds an attribute without value (e.g. USE-CANDIDATE).</summary>
    /// <param name="type">The type.</param>
    public void AddEmpty(StunAttributeType type) => Reserve((ushort)type, 0);

    /// <summary>Adds a 32-bit attribute (e.g. PRIORITY).</summary>
    /// <param name="type">The type.</param>
    /// <param name="value">The value.</param>
    public void AddUInt32(StunAttributeType type, uint value) => BinaryPrimitives.WriteUInt32BigEndian(Reserve((ushort)type, 4), value);

    /// <summary>Adds a 64-bit attribute (e.g. ICE-CONTROLLING).</summary>
    /// <param name="type">The type.</param>
    /// <param name="value">The value.</param>
    public void AddUInt64(StunAttributeType type, ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Reserve((ushort)type, 8), value);

    /// <summary>Adds a UTF-8 text attribute (USERNAME, SOFTWARE, REALM, NONCE).</summary>
    /// <param name="type">The type.</param>
    /// <param name="value">The text.</param>
    public void AddString(StunAttributeType type, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var v = Reserve((ushort)type, Encoding.UTF8.GetByteCount(value));
        Encoding.UTF8.GetBytes(value, v);
    }

    /// <summary>Adds XOR-MAPPED-ADDRESS (RFC 8489 §14.2) or another XOR address attribute.</summary>
    /// <param name="endPoint">The address.</param>
    /// <param name="type">The attribute type; XOR-MAPPED-ADDRESS by default.</param>
    public void AddXorAddress(IPEndPoint endPoint, StunAttributeType type = StunAttributeType.XorMappedAddress)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        StunAddressCodec.Encode(endPoint, true, TransactionId, Reserve((ushort)type, StunAddressCodec.EncodedLength(endPoint.AddressFamily)));
    }

    /// <summary>Adds MAPPED-ADDRESS (RFC 8489 §14.1) or another plain address attribute.</summary>
    /// <param name="endPoint">The address.</param>
    /// <param name="type">The attribute type; MAPPED-ADDRESS by default.</param>
    public void AddAddress(IPEndPoint endPoint, StunAttributeType type = StunAttributeType.MappedAddress)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        StunAddressCodec.Encode(endPoint, false, TransactionId, Reserve((ushort)type, StunAddressCodec.EncodedLength(endPoint.AddressFamily)));
    }

    /// <summary>Adds ERROR-CODE (RFC 8489 §14.8).</summary>
    /// <param name="code">300–699.</param>
    /// <param name="reason">The reason phrase; the standard one when <see langword="null"/>.</param>
    public void AddErrorCode(int code, string? reason = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(code, 300);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(code, 699);
        reason ??= StunErrorCodes.ReasonPhrase(code);
        var v = Reserve((ushort)StunAttributeType.ErrorCode, 4 + Encoding.UTF8.GetByteCount(reason));
        v[0] = 0;
        v[1] = 0;
        v[2] = (byte)(code / 100);
        v[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, v[4..]);
    }

    /// <summary>Adds UNKNOWN-ATTRIBUTES (RFC 8489 §14.9).</summary>
    /// <param name="types">The attribute types the request carried that were not understood.</param>
    public void AddUnknownAttributes(ReadOnlySpan<ushort> types)
    {
        var v = Reserve((ushort)StunAttributeType.UnknownAttributes, types.Length * 2);
        for (var i = 0; i < types.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[(i * 2)..], types[i]);
        }
    }

    /// <summary>Adds MESSAGE-INTEGRITY: HMAC-SHA1 over the message so far (RFC 8489 §14.5).</summary>
    /// <param name="key">The key (see <see cref="StunCredentials"/>).</param>
    public void AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        var offset = _length;
        var v = Reserve((ushort)StunAttributeType.MessageIntegrity, StunConstants.MessageIntegritySize);
        StunIntegrity.ComputeHmac(_buffer, offset, _length - StunConstants.HeaderSize, key, false, v);
    }

    /// <summary>Adds MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), untruncated.</summary>
    /// <param name="key">The key.</param>
    public void AddMessageIntegritySha256(ReadOnlySpan<byte> key)
    {
        var offset = _length;
        var v = Reserve((ushort)StunAttributeType.MessageIntegritySha256, StunConstants.MessageIntegritySha256Size);
        StunIntegrity.ComputeHmac(_buffer, offset, _length - StunConstants.HeaderSize, key, true, v);
    }

    /// <summary>Adds FINGERPRINT (RFC 8489 §14.7); it must be the last attribute.</summary>
    public void AddFingerprint()
    {
        var offset = _length;
        var v = Reserve((ushort)StunAttributeType.Fingerprint, 4);
        BinaryPrimitives.WriteUInt32BigEndian(v, StunIntegrity.Fingerprint(_buffer[..offset]));
    }

    private Span<byte> Reserve(ushort type, int valueLength)
    {
        if (valueLength > ushort.MaxValue)
        {
            throw new ArgumentException("A STUN attribute value is at most 65535 bytes.", nameof(valueLength));
        }

        var padded = (valueLength + 3) & ~3;
        var total = _length + 4 + padded;
        if (total > _buffer.Length || total - StunConstants.HeaderSize > ushort.MaxValue)
        {
            throw new ArgumentException($"The STUN message needs {total} bytes; the buffer has {_buffer.Length}.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)valueLength);
        _buffer.Slice(_length + 4 + valueLength, padded - valueLength).Clear();
        var value = _buffer.Slice(_length + 4, valueLength);
        _length = total;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunConstants.HeaderSize));
        return value;
    }
}
