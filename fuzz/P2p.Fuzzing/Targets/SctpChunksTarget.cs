using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.ErrorCauses;
using P2p.WebRtc.Sctp.Handshake;
using P2p.WebRtc.Sctp.Packets;
using P2p.WebRtc.Sctp.Parameters;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// SCTP packets (RFC 9260, RFC 6525, RFC 3758) as they come out of DTLS: the common header, the chunk walk, the parse
/// of every chunk type, the parameter walk of INIT, INIT ACK and RE-CONFIG with the parse of every parameter type,
/// the error causes of ABORT and ERROR, and the state cookie. Bad input is a false from a TryParse, never thrown.
/// </summary>
internal static class SctpChunksTarget
{
    private static readonly byte[] CookieKey = new byte[32];

    public static void Run(ReadOnlySpan<byte> data)
    {
        SctpCommonHeader.TryRead(data, out _);
        var body = data.Length >= SctpCommonHeader.Size ? data[SctpCommonHeader.Size..] : data;
        var chunks = new ChunkIterator(body);
        while (chunks.MoveNext(out var chunk))
        {
            Chunk(chunk);
        }

        _ = chunks.Malformed;
    }

    private static void Chunk(RawChunk chunk)
    {
        switch (chunk.Type)
        {
            case ChunkType.Data when DataChunk.TryParse(chunk, out var d):
                _ = (d.Unordered, d.Beginning, d.End, d.Immediate, d.Tsn, d.StreamId, d.Ssn, d.Ppid, d.UserData.Length);
                break;
            case ChunkType.Init when InitChunk.TryParse(chunk, out var init):
                Parameters(init.Parameters);
                break;
            case ChunkType.InitAck when InitAckChunk.TryParse(chunk, out var initAck):
                Parameters(initAck.Fields.Parameters);
                break;
            case ChunkType.Sack when SackChunk.TryParse(chunk, out var sack):
                for (var i = 0; i < sack.GapAckBlockCount; i++)
                {
                    _ = sack.GetGapAckBlock(i);
                }

                for (var i = 0; i < sack.DuplicateTsnCount; i++)
                {
                    _ = sack.GetDuplicateTsn(i);
                }

                break;
            case ChunkType.Heartbeat when HeartbeatChunk.TryParse(chunk, out var info):
                _ = info.Length;
                break;
            case ChunkType.HeartbeatAck when HeartbeatAckChunk.TryParse(chunk, out var info):
                _ = info.Length;
                break;
            case ChunkType.Abort:
                _ = ErrorCause.Describe(AbortChunk.Causes(chunk));
                break;
            case ChunkType.Error:
                _ = ErrorCause.Describe(ErrorChunk.Causes(chunk));
                break;
            case ChunkType.Shutdown:
                ShutdownChunk.TryParse(chunk, out _);
                break;
            case ChunkType.CookieEcho:
                StateCookie.TryDeserialize(CookieEchoChunk.Cookie(chunk), CookieKey, out _);
                break;
            case ChunkType.ReConfig:
                Parameters(chunk.Value);
                break;
            case ChunkType.ForwardTsn when ForwardTsnChunk.TryParse(chunk, out var forward):
                for (var i = 0; i < forward.StreamCount; i++)
                {
                    _ = forward.GetStream(i);
                }

                break;
        }

        _ = ChunkTypeExtensions.SkipAndContinue(chunk.TypeByte);
        _ = ChunkTypeExtensions.Report(chunk.TypeByte);
    }

    private static void Parameters(ReadOnlySpan<byte> parameters)
    {
        var it = new ParameterIterator(parameters);
        while (it.MoveNext(out var p))
        {
            switch (p.Type)
            {
                case ParameterType.HeartbeatInfo:
                    HeartbeatInfoParameter.TryRead(p.Whole, out _);
                    break;
                case ParameterType.StateCookie:
                    StateCookie.TryDeserialize(p.Value, CookieKey, out _);
                    break;
                case ParameterType.SupportedExtensions:
                    _ = SupportedExtensionsParameter.Lists(p.Value, ChunkType.ReConfig);
                    break;
                case ParameterType.OutgoingSsnResetRequest when OutgoingSsnResetRequestParameter.TryParse(p, out var outgoing):
                    _ = outgoing.GetStreams();
                    for (var i = 0; i < outgoing.StreamCount; i++)
                    {
                        _ = outgoing.GetStream(i);
                    }

                    break;
                case ParameterType.IncomingSsnResetRequest:
                    IncomingSsnResetRequestParameter.TryParse(p, out _);
                    break;
                case ParameterType.SsnTsnResetRequest:
                    SsnTsnResetRequestParameter.TryParse(p, out _);
                    break;
                case ParameterType.ReconfigurationResponse:
                    ReconfigurationResponseParameter.TryParse(p, out _);
                    break;
                case ParameterType.AddOutgoingStreamsRequest or ParameterType.AddIncomingStreamsRequest:
                    AddStreamsRequestParameter.TryParse(p, out _, out _);
                    break;
            }

            _ = ParameterTypeExtensions.SkipAndContinue(p.TypeValue);
            _ = ParameterTypeExtensions.Report(p.TypeValue);
        }

        _ = it.Malformed;
    }
}
