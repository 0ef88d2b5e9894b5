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

    public static readonly ResultDecoder<JsonElement> Element = static json => JsonElement.Parse(json);
}
