using System.Text.Json;
using P2p.Signaling.Abstractions;

namespace P2p.Signaling.WebSockets;

/// <summary>The decoders of the protocol's results.</summary>
internal static class ResultDecoders
{
    private static SignalingJsonContext Context => SignalingJsonContext.Default;

    public static readonly ResultDecoder<string> String = static json =>
        JsonSerializer.Deserialize(json, Context.String) ?? throw new JsonException("expected a string, got null");

    public static readonly ResultDecoder<bool> Ignore = static _ => true;

    public static readonly ResultDecoder<IReadOnlyList<string>> StringList = static json =>
    {
        var values = JsonSerializer.Deserialize(json, Context.StringArray) ?? throw new JsonException("expected an array, got null");
        if (Array.IndexOf(values, null) >= 0)
        {
            throw new JsonException("expected an array of strings, got a null element");
        }

        return values;
    };

    public static readonly ResultDecoder<GroupInfo> Group = static json =>
    {
        var group = JsonSerializer.Deserialize(json, Context.GroupInfo) ?? throw new JsonException("expected an object, got null");
        if (group.Id is null || group.Owner is null || group.Members is null || group.Members.Any(m => m is null))
        {
            throw new JsonException("expected {\"id\",\"owner\",\"capability\",\"members\"}");
        }

        return group;
    };

    /// <summary>
    /// <c>[{"urls":[...]|"...","username"?,"credential"?}]</c>: <c>urls</c> may be one string, as the browser allows;
    /// other members are ignored.
    /// </summary>
    public static readonly ResultDecoder<IReadOnlyList<IceServerPayload>> IceServers = static json =>
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("expected an array of {\"urls\",\"username\",\"credential\"}");
        }

        var servers = new List<IceServerPayload>(root.GetArrayLength());
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("urls", out var urls))
            {
                throw new JsonException("expected an object with \"urls\"");
            }

            string[] list = urls.ValueKind switch
            {
                JsonValueKind.String => [urls.GetString()!],
                JsonValueKind.Array when urls.EnumerateArray().All(u => u.ValueKind == JsonValueKind.String) => [.. urls.EnumerateArray().Select(u => u.GetString()!)],
                _ => throw new JsonException("\"urls\" must be a string or an array of strings"),
            };
            servers.Add(new IceServerPayload(list, OptionalString(item, "username"), OptionalString(item, "credential")));
        }

        return servers;
    };

    /// <summary><c>{"token":string,"gracePeriodMs":number}</c>.</summary>
    public static readonly ResultDecoder<ResumeTokenResult> ResumeToken = static json =>
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("token", out var token) || token.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("gracePeriodMs", out var grace) || !grace.TryGetInt64(out var graceMs))
        {
            throw new JsonException("expected {\"token\":string,\"gracePeriodMs\":integer}");
        }

        return new ResumeTokenResult(token.GetString()!, graceMs);
    };

    /// <summary><c>{"id":string,"groups":[string,...]}</c>.</summary>
    public static readonly ResultDecoder<ResumeResult> Resume = static json =>
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("groups", out var groups) || groups.ValueKind != JsonValueKind.Array
            || groups.EnumerateArray().Any(g => g.ValueKind != JsonValueKind.String))
        {
            throw new JsonException("expected {\"id\":string,\"groups\":[string,...]}");
        }

        return new ResumeResult(id.GetString()!, [.. groups.EnumerateArray().Select(g => g.GetString()!)]);
    };

    public static readonly ResultDecoder<JsonElement> Element = static json => JsonElement.Parse(json);

    private static string? OptionalString(JsonElement item, string name) =>
        !item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new JsonException($"\"{name}\" must be a string");
}
