using System.Text.Json;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>Where one JSON value lies inside a received message, and its first token's type.</summary>
internal readonly record struct JsonSlice(int Start, int Length, JsonTokenType Type)
{
    public bool IsPresent => Type != JsonTokenType.None;

    public ReadOnlySpan<byte> Of(ReadOnlySpan<byte> message) => message.Slice(Start, Length);

    /// <summary>
    /// Reads a string value; <see langword="null"/> when the value is not a string, or is one that is not text (invalid
    /// UTF-8, or an escaped lone surrogate such as <c>"\ud800"</c>: well-formed JSON that no string can hold).
    /// </summary>
    public string? GetString(ReadOnlySpan<byte> message)
    {
        if (Type != JsonTokenType.String)
        {
            return null;
        }

        var reader = new Utf8JsonReader(Of(message));
        reader.Read();
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Decodes a string value without escapes into <paramref name="destination"/> (no string made); <see langword="false"/> when the
    /// value is not a string, has escapes or does not fit. The message was validated when parsed, so its UTF-8 is well-formed.
    /// </summary>
    public bool TryGetChars(ReadOnlySpan<byte> message, Span<char> destination, out int written)
    {
        written = 0;
        if (Type != JsonTokenType.String || Length < 2)
        {
            return false;
        }

        var raw = message.Slice(Start + 1, Length - 2);
        return raw.IndexOf((byte)'\\') < 0 && System.Text.Encoding.UTF8.TryGetChars(raw, destination, out written);
    }

    /// <summary>Reads an integer value; <see langword="false"/> when it is not an integer that fits an <see cref="int"/>.</summary>
    public bool TryGetInt32(ReadOnlySpan<byte> message, out int value)
    {
        value = 0;
        if (Type != JsonTokenType.Number)
        {
            return false;
        }

        var reader = new Utf8JsonReader(Of(message));
        reader.Read();
        return reader.TryGetInt32(out value);
    }

    /// <summary>Parses the value into a self-contained <see cref="JsonElement"/>.</summary>
    public JsonElement ToElement(ReadOnlySpan<byte> message) => JsonElement.Parse(Of(message));
}
