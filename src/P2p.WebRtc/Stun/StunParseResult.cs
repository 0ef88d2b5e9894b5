namespace P2p.WebRtc.Stun;

/// <summary>The outcome of <see cref="StunMessage.TryParse"/>.</summary>
public enum StunParseResult
{
    /// <summary>A well-formed STUN message.</summary>
    Success,

    /// <summary>Shorter than the 20-byte header.</summary>
    TooShort,

    /// <summary>Not STUN: the top two bits are set or the magic cookie is wrong.</summary>
    NotStun,

    /// <summary>The length field is not a multiple of 4 or does not match the datagram's length.</summary>
    BadLength,

    /// <summary>An attribute runs past the end of the message (including its padding).</summary>
    TruncatedAttribute,

    /// <summary>A fixed-size attribute (MESSAGE-INTEGRITY, FINGERPRINT, ...) has the wrong size.</summary>
    BadAttribute,

    /// <summary>FINGERPRINT is not the last attribute.</summary>
    FingerprintNotLast,

    /// <summary>The FINGERPRINT value does not match the message.</summary>
    BadFingerprint,
}
