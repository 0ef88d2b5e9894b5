namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// Parameter types used in INIT/INIT ACK (RFC 9260 §3.3.2.1), HEARTBEAT (§3.3.5), RE-CONFIG
/// (RFC 6525 §4) and the extensions WebRTC announces (RFC 3758 §3.1, RFC 5061 §4.2.7). The two high
/// bits say what a receiver that does not know the type must do (RFC 9260 §3.2.1).
/// </summary>
internal enum ParameterType : ushort
{
    HeartbeatInfo = 1,
    Ipv4Address = 5,
    Ipv6Address = 6,
    StateCookie = 7,
    UnrecognizedParameter = 8,
    CookiePreservative = 9,
    HostNameAddress = 11,
    SupportedAddressTypes = 12,
    OutgoingSsnResetRequest = 13,
    IncomingSsnResetRequest = 14,
    SsnTsnResetRequest = 15,
    ReconfigurationResponse = 16,
    AddOutgoingStreamsRequest = 17,
    AddIncomingStreamsRequest = 18,
    EcnCapable = 0x8000,
    Random = 0x8002,
    ChunkList = 0x8003,
    RequestedHmacAlgorithm = 0x8004,
    Padding = 0x8005,
    SupportedExtensions = 0x8008,
    ForwardTsnSupported = 0xC000,
}

/// <summary>What the upper two bits of an unrecognised parameter type ask for (RFC 9260 §3.2.1).</summary>
internal static class ParameterTypeExtensions
{
    /// <summary>True when processing continues with the next parameter (bit 0x8000 set).</summary>
    public static bool SkipAndContinue(ushort type) => (type & 0x8000) != 0;

    /// <summary>True when the parameter must be reported as unrecognised (bit 0x4000 set).</summary>
    public static bool Report(ushort type) => (type & 0x4000) != 0;
}
