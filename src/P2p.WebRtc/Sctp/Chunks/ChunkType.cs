namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>
/// SCTP chunk types (RFC 9260 §3.2, IANA "Chunk Types"), with the extensions used by WebRTC data
/// channels: RE-CONFIG (RFC 6525 §3.1) and FORWARD-TSN (RFC 3758 §3.2). The two high bits say what a
/// receiver that does not know the type must do (RFC 9260 §3.2): see <see cref="ChunkTypeExtensions"/>.
/// </summary>
internal enum ChunkType : byte
{
    Data = 0,
    Init = 1,
    InitAck = 2,
    Sack = 3,
    Heartbeat = 4,
    HeartbeatAck = 5,
    Abort = 6,
    Shutdown = 7,
    ShutdownAck = 8,
    Error = 9,
    CookieEcho = 10,
    CookieAck = 11,
    Ecne = 12,
    Cwr = 13,
    ShutdownComplete = 14,
    Auth = 15,
    IData = 64,
    AsconfAck = 128,
    ReConfig = 130,
    Pad = 132,
    ForwardTsn = 192,
    Asconf = 193,
    IForwardTsn = 194,
}

/// <summary>What the upper two bits of an unrecognised chunk type ask for (RFC 9260 §3.2).</summary>
internal static class ChunkTypeExtensions
{
    /// <summary>True when processing continues with the next chunk (bit 0x80 set); false: discard the rest of the packet.</summary>
    public static bool SkipAndContinue(byte type) => (type & 0x80) != 0;

    /// <summary>True when the chunk must be reported in an ERROR chunk with an "Unrecognized Chunk Type" cause (bit 0x40 set).</summary>
    public static bool Report(byte type) => (type & 0x40) != 0;
}
