namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// Heartbeat Info parameter (RFC 9260 §3.3.5, type 1): opaque sender-specific information that the
/// peer echoes unchanged in the HEARTBEAT ACK. This stack puts a timestamp and a nonce in it.
/// </summary>
internal static class HeartbeatInfoParameter
{
    /// <summary>Finds the Heartbeat Info parameter in a HEARTBEAT/HEARTBEAT ACK value.</summary>
    public static bool TryRead(ReadOnlySpan<byte> chunkValue, out ReadOnlySpan<byte> info)
    {
        var it = new ParameterIterator(chunkValue);
        if (it.MoveNext(out var p) && p.Type == ParameterType.HeartbeatInfo)
        {
            info = p.Value;
            return true;
        }

        info = default;
        return false;
    }

    /// <summary>Writes the parameter; returns its padded size.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> info)
        => ParameterWriter.Write(destination, (ushort)ParameterType.HeartbeatInfo, info);
}
