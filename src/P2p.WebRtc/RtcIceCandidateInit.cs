using System.Text.Json.Serialization;

namespace P2p.WebRtc;

/// <summary>
/// A trickled ICE candidate in the browser's <c>RTCIceCandidateInit</c> shape:
/// <c>{"candidate":"candidate:…","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"…"}</c>.
/// An empty <see cref="Candidate"/> means end-of-candidates.
/// </summary>
/// <param name="Candidate">The candidate line, <c>candidate:…</c> (RFC 8839 §5.1), or empty for end-of-candidates.</param>
/// <param name="SdpMid">The media section's <c>a=mid</c> the candidate belongs to.</param>
/// <param name="SdpMLineIndex">The media section's index.</param>
/// <param name="UsernameFragment">The ICE ufrag of the generation it belongs to.</param>
public sealed record RtcIceCandidateInit(
    [property: JsonPropertyName("candidate")] string Candidate,
    [property: JsonPropertyName("sdpMid")] string? SdpMid = null,
    [property: JsonPropertyName("sdpMLineIndex")] int? SdpMLineIndex = null,
    [property: JsonPropertyName("usernameFragment")] string? UsernameFragment = null)
{
    /// <summary>True when this marks end-of-candidates (an empty candidate line).</summary>
    [JsonIgnore]
    public bool IsEndOfCandidates => string.IsNullOrEmpty(Candidate);
}
