namespace P2p.WebRtc.Stun;

/// <summary>Fixed numbers of the STUN wire format (RFC 8489 §5, §14.7).</summary>
public static class StunConstants
{
    /// <summary>The magic cookie, 0x2112A442 (RFC 8489 §5).</summary>
    public const uint MagicCookie = 0x2112A442;

    /// <summary>The size of the STUN header in bytes.</summary>
    public const int HeaderSize = 20;

    /// <summary>The size of the transaction id in bytes (96 bits).</summary>
    public const int TransactionIdSize = 12;

    /// <summary>The value XORed into the CRC-32 of FINGERPRINT: "STUN" in ASCII (RFC 8489 §14.7).</summary>
    public const uint FingerprintXor = 0x5354554E;

    /// <summary>The size of the MESSAGE-INTEGRITY value (HMAC-SHA1).</summary>
    public const int MessageIntegritySize = 20;

    /// <summary>The size of a full MESSAGE-INTEGRITY-SHA256 value.</summary>
    public const int MessageIntegritySha256Size = 32;

    /// <summary>The default STUN port (RFC 8489 §9).</summary>
    public const int DefaultPort = 3478;

    /// <summary>
    /// Whether the first byte of a datagram may start a STUN message (RFC 7983 §7: 0–3). DTLS is 20–63.
    /// </summary>
    /// <param name="firstByte">The first byte of the datagram.</param>
    /// <returns>True for 0–3.</returns>
    public static bool IsStunFirstByte(byte firstByte) => firstByte <= 3;
}
