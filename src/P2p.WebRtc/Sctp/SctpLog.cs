using Microsoft.Extensions.Logging;

namespace P2p.WebRtc.Sctp;

/// <summary>Source-generated log messages of the SCTP layer (cheap when the level is off).</summary>
internal static partial class SctpLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "SCTP packet dropped: {Reason}")]
    public static partial void PacketDropped(ILogger logger, string reason);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "SCTP chunk {ChunkType} ignored: {Reason}")]
    public static partial void ChunkIgnored(ILogger logger, byte chunkType, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "SCTP association {State}")]
    public static partial void StateChanged(ILogger logger, SctpAssociationState state);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "SCTP association closed: {Reason} {Detail}")]
    public static partial void Closed(ILogger logger, SctpCloseReason reason, string detail);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Debug, Message = "SCTP T3-rtx expired: RTO {Rto} ms, {Marked} chunks marked, cwnd {Cwnd}")]
    public static partial void T3Expired(ILogger logger, double rto, int marked, long cwnd);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Debug, Message = "SCTP peer error: {Detail}")]
    public static partial void PeerError(ILogger logger, string detail);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Debug, Message = "SCTP stream reset: {Detail}")]
    public static partial void StreamReset(ILogger logger, string detail);
}
