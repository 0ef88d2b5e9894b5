namespace P2p.WebRtc.Dtls;

/// <summary>TLS alert descriptions (RFC 5246 §7.2, RFC 5746 §4.5, RFC 8446 §6), as carried by DTLS 1.2 alerts.</summary>
public enum DtlsAlertDescription
{
    /// <summary>close_notify (0): the sender will send no more data.</summary>
    CloseNotify = 0,

    /// <summary>unexpected_message (10).</summary>
    UnexpectedMessage = 10,

    /// <summary>bad_record_mac (20).</summary>
    BadRecordMac = 20,

    /// <summary>record_overflow (22).</summary>
    RecordOverflow = 22,

    /// <summary>handshake_failure (40): no acceptable set of security parameters.</summary>
    HandshakeFailure = 40,

    /// <summary>bad_certificate (42): the certificate was rejected (for WebRTC: it did not match the SDP fingerprint).</summary>
    BadCertificate = 42,

    /// <summary>unsupported_certificate (43).</summary>
    UnsupportedCertificate = 43,

    /// <summary>certificate_revoked (44).</summary>
    CertificateRevoked = 44,

    /// <summary>certificate_expired (45).</summary>
    CertificateExpired = 45,

    /// <summary>certificate_unknown (46).</summary>
    CertificateUnknown = 46,

    /// <summary>illegal_parameter (47).</summary>
    IllegalParameter = 47,

    /// <summary>unknown_ca (48).</summary>
    UnknownCa = 48,

    /// <summary>access_denied (49).</summary>
    AccessDenied = 49,

    /// <summary>decode_error (50).</summary>
    DecodeError = 50,

    /// <summary>decrypt_error (51): a signature or Finished check failed.</summary>
    DecryptError = 51,

    /// <summary>protocol_version (70).</summary>
    ProtocolVersion = 70,

    /// <summary>insufficient_security (71).</summary>
    InsufficientSecurity = 71,

    /// <summary>internal_error (80).</summary>
    InternalError = 80,

    /// <summary>inappropriate_fallback (86).</summary>
    InappropriateFallback = 86,

    /// <summary>user_canceled (90).</summary>
    UserCanceled = 90,

    /// <summary>no_renegotiation (100): renegotiation refused (RFC 8827 §6.5 requires refusing it).</summary>
    NoRenegotiation = 100,

    /// <summary>missing_extension (109).</summary>
    MissingExtension = 109,

    /// <summary>unsupported_extension (110).</summary>
    UnsupportedExtension = 110,

    /// <summary>unrecognized_name (112).</summary>
    UnrecognizedName = 112,

    /// <summary>certificate_required (116).</summary>
    CertificateRequired = 116,

    /// <summary>no_application_protocol (120).</summary>
    NoApplicationProtocol = 120,
}
