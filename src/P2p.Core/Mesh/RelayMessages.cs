using System.Text.Json;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Mesh;

/// <summary>
/// The negotiation payloads carried in <c>relay.data</c> (docs/protocol.md, "Relay payloads"), told apart by
/// their <c>type</c>: <c>"offer"</c> (answered with <c>{"type":"answer","sdp":…}</c>) and <c>"candidate"</c>
/// (answered with <c>null</c>). Anything else is answered with an error.
/// </summary>
internal static class RelayMessages
{
    /// <summary>-32030: the receiver is offering to the sender too and keeps its own offer (its user id is lower).</summary>
    public const int GlareCode = -32030;

    /// <summary>-32031: the receiver is not (or no longer) a member of the group the relay names.</summary>
    public const int NotInGroupCode = -32031;

    /// <summary>The answer to a candidate relay: <c>null</c>.</summary>
    public static readonly JsonElement Null = CreateNull();

    public static JsonElement ToJson(SessionDescriptionPayload description) =>
        JsonSerializer.SerializeToElement(description, SignalingJsonContext.Default.SessionDescriptionPayload);

    public static JsonElement ToJson(IceCandidatePayload candidate) =>
        JsonSerializer.SerializeToElement(candidate, SignalingJsonContext.Default.IceCandidatePayload);

    /// <summary>The <c>type</c> member of an object, or <see langword="null"/>.</summary>
    public static string? TypeOf(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()
            : null;

    public static bool TryParseDescription(JsonElement data, string expectedType, out SessionDescriptionPayload description)
    {
        description = null!;
        if (TypeOf(data) != expectedType || !data.TryGetProperty("sdp", out var sdp) || sdp.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        description = new SessionDescriptionPayload(expectedType, sdp.GetString()!);
        return true;
    }

    public static bool TryParseCandidate(JsonElement data, out IceCandidatePayload candidate)
    {
        candidate = null!;
        if (TypeOf(data) != IceCandidatePayload.CandidateType
            || !data.TryGetProperty("candidate", out var text) || text.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        string? mid = null;
        if (data.TryGetProperty("sdpMid", out var midElement))
        {
            if (midElement.ValueKind == JsonValueKind.String)
            {
                mid = midElement.GetString();
            }
            else if (midElement.ValueKind != JsonValueKind.Null)
            {
                return false;
            }
        }

        int? index = null;
        if (data.TryGetProperty("sdpMLineIndex", out var indexElement))
        {
            if (indexElement.ValueKind == JsonValueKind.Number && indexElement.TryGetInt32(out var i) && i >= 0)
            {
                index = i;
            }
            else if (indexElement.ValueKind != JsonValueKind.Null)
            {
                return false;
            }
        }

        candidate = new IceCandidatePayload(text.GetString()!, mid, index);
        return true;
    }

    private static JsonElement CreateNull()
    {
        using var document = JsonDocument.Parse("null");
        return document.RootElement.Clone();
    }
}
