using System.Text.Json.Serialization;

namespace P2p.Signaling.Abstractions;

/// <summary>A group as the server describes it (the result of <c>get_group</c>).</summary>
/// <param name="Id">The group's id.</param>
/// <param name="Owner">
/// The user who created the group. It stays recorded after the owner leaves: the group lives on while
/// it has members.
/// </param>
/// <param name="Capability">What members may send to each other: the integer bit set of P2p.Core's <c>GroupCapability</c> (0..15).</param>
/// <param name="Members">The current members' user ids, in the order they joined.</param>
public sealed record GroupInfo(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("capability")] int Capability,
    [property: JsonPropertyName("members")] IReadOnlyList<string> Members);
