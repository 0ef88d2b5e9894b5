using System.Text.Json;
using P2p.WebRtc;

namespace WebRtcEcho;

/// <summary>One input line, parsed: a description, a candidate, or a line to ignore.</summary>
internal abstract record SignalingMessage
{
    /// <summary>
    /// Parses one JSON line: <c>{"type":"offer"|"answer","sdp":…}</c>,
    /// <c>{"type":"candidate","candidate":…,"sdpMid":…,"sdpMLineIndex":…,"usernameFragment":…}</c>
    /// (a missing <c>type</c> with a <c>candidate</c> member is a candidate too, as the browser's
    /// <c>JSON.stringify(event.candidate)</c> prints it), or <c>{"type":"result",…}</c> (another echo's
    /// result line, ignored). Null for a blank line.
    /// </summary>
    /// <exception cref="SignalingFormatException">The line is not one of these.</exception>
    public static SignalingMessage? Parse(string line)
    {
        var text = line.Trim().TrimStart('\uFEFF');
        if (text.Length == 0)
        {
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new SignalingFormatException($"not JSON ({e.Message})", essential: false);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SignalingFormatException($"expected a JSON object, got {root.ValueKind}", essential: false);
            }

            string? type = null;
            if (root.TryGetProperty("type", out var typeElement))
            {
                type = typeElement.ValueKind == JsonValueKind.String
                    ? typeElement.GetString()
                    : throw new SignalingFormatException("\"type\" must be a string", essential: false);
            }
            else if (root.TryGetProperty("candidate", out _))
            {
                type = "candidate";
            }

            return type switch
            {
                "offer" or "answer" => ParseDescription(root, type),
                "pranswer" or "rollback" => throw new SignalingFormatException($"a \"{type}\" description is not supported", essential: true),
                "candidate" => ParseCandidate(root),
                "result" => new IgnoredMessage(type),
                null => throw new SignalingFormatException("no \"type\" (expected \"offer\", \"answer\" or \"candidate\")", essential: false),
                _ => throw new SignalingFormatException($"unknown type \"{type}\" (expected \"offer\", \"answer\" or \"candidate\")", essential: false),
            };
        }
    }

    private static DescriptionMessage ParseDescription(JsonElement root, string type)
    {
        if (!root.TryGetProperty("sdp", out var sdp) || sdp.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(sdp.GetString()))
        {
            throw new SignalingFormatException($"the {type} has no \"sdp\" string", essential: true);
        }

        return new DescriptionMessage(new RtcSessionDescription(RtcSessionDescription.ParseType(type), sdp.GetString()!));
    }

    private static CandidateMessage ParseCandidate(JsonElement root)
    {
        var candidate = OptionalString(root, "candidate") ?? string.Empty; // null or missing: end-of-candidates
        var mid = OptionalString(root, "sdpMid");
        int? index = null;
        if (root.TryGetProperty("sdpMLineIndex", out var indexElement) && indexElement.ValueKind != JsonValueKind.Null)
        {
            index = indexElement.ValueKind == JsonValueKind.Number && indexElement.TryGetInt32(out var i) && i >= 0
                ? i
                : throw new SignalingFormatException("\"sdpMLineIndex\" must be a non-negative integer or null", essential: false);
        }

        var ufrag = OptionalString(root, "usernameFragment");
        return new CandidateMessage(new RtcIceCandidateInit(candidate, mid, index, ufrag));
    }

    private static string? OptionalString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return element.ValueKind == JsonValueKind.String
            ? element.GetString()
            : throw new SignalingFormatException($"\"{name}\" must be a string or null", essential: false);
    }
}

/// <summary>An offer or an answer.</summary>
internal sealed record DescriptionMessage(RtcSessionDescription Description) : SignalingMessage;

/// <summary>A trickled candidate; an empty candidate line means end-of-candidates.</summary>
internal sealed record CandidateMessage(RtcIceCandidateInit Candidate) : SignalingMessage;

/// <summary>A well-formed line this program has no use for (another echo's result line).</summary>
internal sealed record IgnoredMessage(string Type) : SignalingMessage;

/// <summary>A malformed input line; <see cref="Essential"/> when it was meant as the offer or the answer.</summary>
internal sealed class SignalingFormatException : Exception
{
    public SignalingFormatException(string message, bool essential)
        : base(message)
    {
        Essential = essential;
    }

    public SignalingFormatException()
    {
    }

    public SignalingFormatException(string message)
        : base(message)
    {
    }

    public SignalingFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool Essential { get; }
}
