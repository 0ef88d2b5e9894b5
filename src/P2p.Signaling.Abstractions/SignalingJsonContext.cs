using System.Text.Json;
using System.Text.Json.Serialization;

namespace P2p.Signaling.Abstractions;

/// <summary>
/// Source-generated System.Text.Json metadata for the signaling payloads (no reflection, trimming-safe).
/// Use e.g. <c>JsonSerializer.SerializeToElement(offer, SignalingJsonContext.Default.SessionDescriptionPayload)</c>.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(GroupInfo))]
[JsonSerializable(typeof(SignalingError))]
[JsonSerializable(typeof(SessionDescriptionPayload))]
[JsonSerializable(typeof(IceCandidatePayload))]
[JsonSerializable(typeof(IceServerPayload))]
[JsonSerializable(typeof(IceServerPayload[]))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string[]))]
public sealed partial class SignalingJsonContext : JsonSerializerContext
{
}
