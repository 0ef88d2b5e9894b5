using System.Text.Json;
using P2p.Core.Mesh;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// A JSON-RPC 2.0 message from the signaling server as the .NET client receives it (docs/protocol.md):
/// <see cref="JsonRpcFrame.TryParse"/>, then what <c>WebSocketSignalingChannel.OnMessage</c> reads — a response's
/// result through every result decoder (each may refuse with <see cref="JsonException"/>, which fails the call) or
/// its error object; a notification's <c>[groupId, userId]</c>; a relay's <c>[groupId, fromUserId, data]</c> and
/// the mesh's reading of <c>data</c> (<see cref="RelayMessages"/>: offer, answer, candidate, restart); an unknown
/// method's error reply echoing the id — and the id/kind scan of an over-long message's prefix.
/// </summary>
internal static class SignalingClientTarget
{
    public static void Run(ReadOnlySpan<byte> message)
    {
        _ = JsonRpcFrame.ScanPrefix(message);
        if (JsonRpcFrame.TryParse(message, out var frame) != JsonRpcParseStatus.Ok)
        {
            _ = frame.Problem;
            return;
        }

        switch (frame.Kind)
        {
            case JsonRpcKind.Response:
                frame.Id.TryGetInt64(out _);
                _ = frame.Id.ToString();
                if (frame.Result.IsPresent)
                {
                    Results(frame.Result.Of(message));
                }
                else
                {
                    try
                    {
                        var error = JsonSerializer.Deserialize(frame.Error.Of(message), SignalingJsonContext.Default.SignalingError);
                        if (error is { Message: not null })
                        {
                            _ = SignalingException.FromError(error);
                        }
                    }
                    catch (JsonException)
                    {
                        // a malformed error object fails the call with InvalidResponse
                    }
                }

                break;
            case JsonRpcKind.Request or JsonRpcKind.Notification:
                Request(message, ref frame);
                break;
        }
    }

    private static void Results(ReadOnlySpan<byte> result)
    {
        Decode(result, ResultDecoders.String);
        Decode(result, ResultDecoders.StringList);
        Decode(result, ResultDecoders.Group);
        Decode(result, ResultDecoders.IceServers);
        Decode(result, ResultDecoders.ResumeToken);
        Decode(result, ResultDecoders.Resume);
        Decode(result, ResultDecoders.Element);
    }

    private static void Decode<T>(ReadOnlySpan<byte> result, ResultDecoder<T> decoder)
    {
        try
        {
            _ = decoder(result);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // PendingCall<T>.Complete turns both into SignalingErrorCode.InvalidResponse
        }
    }

    private static void Request(ReadOnlySpan<byte> message, ref JsonRpcFrame frame)
    {
        switch (frame.Method)
        {
            case JsonRpcMethod.Relay:
                var groupId = frame.Param0.GetString(message);
                var fromUserId = frame.Param1.GetString(message);
                if (frame.Params.Type != JsonTokenType.StartArray || frame.ParamCount != 3 || groupId is null || fromUserId is null)
                {
                    Reply(frame.Id, frame.Kind);
                    return;
                }

                Relay(new RelayRequest(groupId, fromUserId, frame.Param2.ToElement(message)).Data);
                break;
            case JsonRpcMethod.MemberJoined or JsonRpcMethod.MemberLeft:
                _ = frame.Param0.GetString(message);
                _ = frame.Param1.GetString(message);
                break;
            default:
                _ = frame.MethodName.GetString(message);
                Reply(frame.Id, frame.Kind);
                break;
        }
    }

    private static void Relay(JsonElement data)
    {
        _ = RelayMessages.TypeOf(data);
        _ = RelayMessages.IsIceRestart(data);
        RelayMessages.TryParseDescription(data, "offer", out _);
        RelayMessages.TryParseDescription(data, "answer", out _);
        RelayMessages.TryParseCandidate(data, out _);
    }

    private static void Reply(in RequestId id, JsonRpcKind kind)
    {
        if (kind == JsonRpcKind.Request)
        {
            JsonRpcWriter.Error(id, (int)SignalingErrorCode.MethodNotFound, "Method not found.").Release();
        }
    }
}
