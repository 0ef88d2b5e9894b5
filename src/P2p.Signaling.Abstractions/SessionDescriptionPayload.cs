using System.Text.Json.Serialization;

namespace P2p.Signaling.Abstractions;

/// <summary>
/// An SDP offer or answer in the browser's own JSON shape (<c>RTCSessionDescriptionInit</c>):
/// <c>{"type":"offer","sdp":"v=0..."}</c>. Relayed as <c>relay.data</c>; the answer to an offer is the
/// relay's result.
/// </summary>
/// <param name="Type"><c>"offer"</c> or <c>"answer"</c> (browsers also know <c>"pranswer"</c> and <c>"rollback"</c>).</param>
/// <param name="Sdp">The session description (RFC 8866).</param>
public sealed record SessionDescriptionPayload(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("sdp")] string Sdp)
{
    /// <summary>The <c>type</c> of an offer.</summary>
    public const string OfferType = "offer";

    /// <summary>The <c>type</c> of an answer.</summary>
    public const string AnswerType = "answer";
}
