using System.Text.Json.Serialization;

namespace P2p.WebRtc;

/// <summary>
/// A session description and its type, as the browser's <c>RTCSessionDescriptionInit</c>. Serialized
/// with System.Text.Json it is the browser's own JSON shape, <c>{"type":"offer","sdp":"v=0…"}</c>, so it
/// can travel through signaling to an <c>RTCPeerConnection</c> untouched.
/// </summary>
/// <param name="Type">Offer or answer.</param>
/// <param name="Sdp">The SDP text (RFC 8866).</param>
public sealed record RtcSessionDescription(
    [property: JsonPropertyName("type"), JsonConverter(typeof(JsonStringEnumConverter<RtcSdpType>))] RtcSdpType Type,
    [property: JsonPropertyName("sdp")] string Sdp)
{
    /// <summary>The browser's name of <see cref="Type"/>: "offer" or "answer".</summary>
    [JsonIgnore]
    public string TypeName => Type == RtcSdpType.Offer ? "offer" : "answer";

    /// <summary>Parses the browser's type name ("offer" or "answer").</summary>
    /// <param name="type">The type name.</param>
    /// <returns>The type.</returns>
    /// <exception cref="FormatException">Another name ("pranswer" and "rollback" are not supported).</exception>
    public static RtcSdpType ParseType(string type) => type switch
    {
        "offer" => RtcSdpType.Offer,
        "answer" => RtcSdpType.Answer,
        _ => throw new FormatException($"Unsupported session description type '{type}' (expected \"offer\" or \"answer\")."),
    };
}
