using System.Text.Json;
using System.Text.Json.Nodes;
using P2p.WebRtc;

namespace P2p.Testing.Interop;

/// <summary>The signaling lines of test/interop-peers/PROTOCOL.md (the browser's own JSON shapes).</summary>
internal static class SignalingLine
{
    /// <summary><c>{"type":"offer"|"answer","sdp":…}</c>.</summary>
    public static string Description(RtcSessionDescription description) =>
        new JsonObject { ["type"] = description.Type == RtcSdpType.Offer ? "offer" : "answer", ["sdp"] = description.Sdp }.ToJsonString();

    /// <summary><c>{"type":"candidate","candidate":…,"sdpMid":…,"sdpMLineIndex":…}</c>; an empty candidate for end-of-candidates.</summary>
    public static string Candidate(RtcIceCandidateInit? candidate) =>
        new JsonObject
        {
            ["type"] = "candidate",
            ["candidate"] = candidate?.Candidate ?? string.Empty,
            ["sdpMid"] = candidate?.SdpMid,
            ["sdpMLineIndex"] = candidate?.SdpMLineIndex,
        }.ToJsonString();

    /// <summary>The <c>type</c> member of a line, or null when the line is no JSON object.</summary>
    public static string? TypeOf(string line, out JsonElement root)
    {
        root = default;
        try
        {
            using var document = JsonDocument.Parse(line);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
    }

    /// <summary>The description of an offer or answer line.</summary>
    public static RtcSessionDescription ParseDescription(string type, JsonElement root) =>
        new(type == "offer" ? RtcSdpType.Offer : RtcSdpType.Answer, root.GetProperty("sdp").GetString() ?? string.Empty);

    /// <summary>The candidate of a candidate line; null for end-of-candidates.</summary>
    public static RtcIceCandidateInit? ParseCandidate(JsonElement root)
    {
        var text = root.TryGetProperty("candidate", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var mid = root.TryGetProperty("sdpMid", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        int? index = root.TryGetProperty("sdpMLineIndex", out var i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : null;
        return new RtcIceCandidateInit(text, mid, index);
    }
}
