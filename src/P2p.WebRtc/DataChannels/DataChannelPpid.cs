namespace P2p.WebRtc.DataChannels;

/// <summary>
/// SCTP Payload Protocol Identifiers used by WebRTC data channels (RFC 8831 §8, IANA
/// "SCTP Payload Protocol Identifiers").
/// </summary>
public enum DataChannelPpid : uint
{
    /// <summary>A DCEP control message (RFC 8832 §8.1).</summary>
    Dcep = 50,

    /// <summary>A non-empty UTF-8 string message.</summary>
    String = 51,

    /// <summary>Binary partial (deprecated; accepted on receive, never sent).</summary>
    BinaryPartial = 52,

    /// <summary>A non-empty binary message.</summary>
    Binary = 53,

    /// <summary>String partial (deprecated; accepted on receive, never sent).</summary>
    StringPartial = 54,

    /// <summary>An empty string message (carries one ignored byte, RFC 8831 §6.6).</summary>
    StringEmpty = 56,

    /// <summary>An empty binary message (carries one ignored byte, RFC 8831 §6.6).</summary>
    BinaryEmpty = 57,
}
