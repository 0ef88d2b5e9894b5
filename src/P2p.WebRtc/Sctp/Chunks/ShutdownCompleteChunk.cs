namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>SHUTDOWN COMPLETE chunk (RFC 9260 §3.3.13): ends a graceful close. Flag T as in ABORT. No value.</summary>
internal static class ShutdownCompleteChunk
{
    /// <summary>The T bit.</summary>
    public const byte FlagT = 0x01;

    /// <summary>Encoded size.</summary>
    public const int Size = 4;

    public static int Write(Span<byte> destination, bool tagReflected)
        => ChunkWriter.Header(destination, ChunkType.ShutdownComplete, tagReflected ? FlagT : (byte)0, Size);
}
