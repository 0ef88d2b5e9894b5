namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// State Cookie parameter (RFC 9260 §3.3.3.1, type 7), mandatory in INIT ACK: the opaque cookie the
/// initiator echoes back in COOKIE ECHO. Its content is defined by <c>StateCookie</c>.
/// </summary>
internal static class StateCookieParameter
{
    /// <summary>Writes the parameter; returns its padded size.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> cookie)
        => ParameterWriter.Write(destination, (ushort)ParameterType.StateCookie, cookie);
}
