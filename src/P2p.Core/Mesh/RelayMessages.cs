using System.Text.Json;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Mesh;

/// <summary>
/// The negotiation payloads carried in <c>relay.data</c> (docs/protocol.md, "Relay payloads"), told apart by
/// their <c>type</c>: <c>"offer"</c> (answered with <c>{"type":"answer","sdp":…}</c>; <c>"iceRestart":true</c>
/// marks an ICE restart of the live connection), <c>"candidate"</c> (answered with <c>null</c>) and
/// <c>"restart"</c> (asks the offering side to restart ICE; answered with <c>true</c>). Anything else is
/// answered with an error.
/// </summary>
internal static class RelayMessages
{
    /// <summary>-32030: the receiver is offering to the sender too and keeps its own offer (its user id is lower).</summary>
    public const int GlareCode = -32030;

    /// <summary>-32031: the receiver is not (or no longer) a member of the group the relay names.</summary>
    public const int NotInGroupCode = -32031;

    /// <summary>-32032: the receiver has no live connection to the sender that it could restart.</summary>
    public const int NothingToRestartCode = -32032;

    /// <summary>The <c>type</c> of a request to restart ICE, sent by the answering side of an interrupted link.</summary>
    public const string RestartType = "restart";

    /// <summary>The member of an offer that marks it as an ICE restart of the live connection.</summary>
    public const string IceRestartMember = "iceRestart";

    /// <summary>The answer to a candidate relay: <c>null</c>.</summary>
    public static readonly JsonElement Null = CreateNull();

    public static JsonElement ToJson(SessionDescriptionPayload description) =>
        JsonSerializer.SerializeToElement(description, SignalingJsonContext.Default.SessionDescriptionPayload);

    /// <summary>An ICE restart offer: <c>{"type":"offer","sdp":…,"iceRestart":true}</c>.</summary>
    public static JsonElement ToRestartJson(SessionDescriptionPayload offer)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(offer.Sdp.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", offer.Type);
            writer.WriteString("sdp", offer.Sdp);
            writer.WriteBoolean(IceRestartMember, true);
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>A request to restart ICE: <c>{"type":"restart"}</c>.</summary>
    public static JsonElement RestartRequest { get; } = Parse("{\"type\":\"restart\"}");

    /// <summary>True when an offer carries <c>"iceRestart":true</c>.</summary>
    public static bool IsIceRestart(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && TryGetMember(data, IceRestartMember, out var flag) && flag.ValueKind == JsonValueKind.True;

    public static JsonElement ToJson(IceCandidatePayload candidate) =>
        JsonSerializer.SerializeToElement(candidate, SignalingJsonContext.Default.IceCandidatePayload);

    /// <summary>The <c>type</c> member of an object, or <see langword="null"/>.</summary>
    public static string? TypeOf(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && TryGetMember(data, "type", out var type) ? TextOf(type) : null;

    public static bool TryParseDescription(JsonElement data, string expectedType, out SessionDescriptionPayload description)
    {
        description = null!;
        if (TypeOf(data) != expectedType || !TryGetMember(data, "sdp", out var sdp) || TextOf(sdp) is not { } text)
        {
            return false;
        }

        description = new SessionDescriptionPayload(expectedType, text);
        return true;
    }

    public static bool TryParseCandidate(JsonElement data, out IceCandidatePayload candidate)
    {
        candidate = null!;
        if (TypeOf(data) != IceCandidatePayload.CandidateType
            || !TryGetMember(data, "candidate", out var textElement) || TextOf(textElement) is not { } text)
        {
            return false;
        }

        string? mid = null;
        if (TryGetMember(data, "sdpMid", out var midElement))
        {
            if (midElement.ValueKind == JsonValueKind.String)
            {
                mid = TextOf(midElement);
                if (mid is null)
                {
                    return false;
                }
            }
            else if (midElement.ValueKind != JsonValueKind.Null)
            {
                return false;
            }
        }

        int? index = null;
        if (TryGetMember(data, "sdpMLineIndex", out var indexElement))
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

        candidate = new IceCandidatePayload(text, mid, index);
        return true;
    }

    /// <summary>
    /// A member of an object; false when it is absent, or when the object has a member name that no string can hold (an
    /// escaped lone surrogate such as <c>"\ud800"</c>: looking a name up unescapes the others, and
    /// <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> throws on that name).
    /// </summary>
    private static bool TryGetMember(JsonElement data, string name, out JsonElement value)
    {
        try
        {
            return data.TryGetProperty(name, out value);
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }

    /// <summary>
    /// The text of a string value; <see langword="null"/> when it is not a string, or is one that no string can hold (an
    /// escaped lone surrogate such as <c>"\ud800"</c>, well-formed JSON that <see cref="JsonElement.GetString"/> refuses).
    /// </summary>
    private static string? TextOf(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The answer to a restart request: <c>true</c>.</summary>
    public static JsonElement True { get; } = Parse("true");

    private static JsonElement CreateNull() => Parse("null");

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
