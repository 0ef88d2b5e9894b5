using System.Text.Json.Serialization;

namespace P2p.Signaling.Abstractions;

/// <summary>
/// A trickled ICE candidate in the browser's JSON shape (<c>RTCIceCandidateInit</c> plus a type tag):
/// <c>{"type":"candidate","candidate":"candidate:1 1 udp ...","sdpMid":"0","sdpMLineIndex":0}</c>.
/// An empty <c>candidate</c> string signals the end of candidates (RFC 8840 section 4.4).
/// </summary>
/// <param name="Candidate">The <c>candidate-attribute</c> text (RFC 8839 section 5.1), without the leading <c>a=</c>.</param>
/// <param name="SdpMid">The media stream identification tag the candidate belongs to, if known.</param>
/// <param name="SdpMLineIndex">The index of the m= section the candidate belongs to, if known.</param>
public sealed record IceCandidatePayload(
    [property: JsonPropertyName("candidate")] string Candidate,
    [property: JsonPropertyName("sdpMid")] string? SdpMid,
    [property: JsonPropertyName("sdpMLineIndex")] int? SdpMLineIndex)
{
    /// <summary>The <c>type</c> tag of a candidate payload.</summary>
    public const string CandidateType = "candidate";

    /// <summary>Always <c>"candidate"</c>: tells candidates apart from descriptions in <c>relay.data</c>.</summary>
    [JsonPropertyName("type")]
    [JsonPropertyOrder(-1)]
    public string Type { get; init; } = CandidateType;
}
