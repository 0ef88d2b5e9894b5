using System.Text.Json;
using System.Text.Json.Serialization;

namespace P2p.Signaling.Abstractions;

/// <summary>A JSON-RPC 2.0 error object: <c>{"code": -32002, "message": "...", "data": ...}</c>.</summary>
/// <param name="Code">The error code (see <see cref="SignalingErrorCode"/>).</param>
/// <param name="Message">A short description.</param>
/// <param name="Data">Optional extra information; omitted from the JSON when <see langword="null"/>.</param>
public sealed record SignalingError(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Data = null);
