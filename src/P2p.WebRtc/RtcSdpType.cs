using System.Text.Json.Serialization;

namespace P2p.WebRtc;

/// <summary>The type of a session description, as the browser's <c>RTCSdpType</c>.</summary>
public enum RtcSdpType
{
    /// <summary>An offer (<c>"offer"</c> in JSON).</summary>
    [JsonStringEnumMemberName("offer")]
    Offer,

    /// <summary>An answer (<c>"answer"</c> in JSON).</summary>
    [JsonStringEnumMemberName("answer")]
    Answer,
}
