using System.Text.Json;
using P2p.Signaling.Abstractions;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>
/// Writes the protocol's JSON-RPC 2.0 messages into pooled frames. Member order is fixed —
/// <c>jsonrpc</c>, <c>id</c>, <c>method</c>/<c>result</c>/<c>error</c>, <c>params</c> — so a receiver can
/// learn the id and kind of a message from its start (see <see cref="JsonRpcFrame.ScanPrefix"/>).
/// </summary>
internal static class JsonRpcWriter
{
    // Room for a message's fixed parts (jsonrpc, id, method, the punctuation) when sizing its buffer up front: a
    // message that outgrows its first buffer costs a second, as Utf8JsonWriter then asks for 4 KiB more at once.
    private const int EnvelopeLength = 128;

    private static void Begin(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("jsonrpc"u8, "2.0"u8);
    }

    private static void WriteId(Utf8JsonWriter w, in RequestId id)
    {
        w.WritePropertyName("id"u8);
        id.WriteValue(w);
    }

    // ---- requests and notifications -------------------------------------------------------------

    /// <summary><c>{"jsonrpc":"2.0","id":id,"method":method,"params":[]}</c></summary>
    public static OutgoingFrame Request(long id, string method)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        BeginRequest(w, id, method);
        w.WriteEndArray();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>A request with one string parameter.</summary>
    public static OutgoingFrame Request(long id, string method, string param0)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        BeginRequest(w, id, method);
        w.WriteStringValue(param0);
        w.WriteEndArray();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>A request with one integer parameter.</summary>
    public static OutgoingFrame Request(long id, string method, int param0)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        BeginRequest(w, id, method);
        w.WriteNumberValue(param0);
        w.WriteEndArray();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>A request with a string and a JSON parameter (e.g. <c>resume [token, groups]</c>).</summary>
    public static OutgoingFrame Request(long id, string method, string param0, JsonElement param1)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        BeginRequest(w, id, method);
        w.WriteStringValue(param0);
        WriteElement(w, param1);
        w.WriteEndArray();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>A client's <c>relay [groupId, toUserId, data]</c>.</summary>
    public static OutgoingFrame RelayRequest(long id, string groupId, string toUserId, JsonElement data)
    {
        var b = FrameBuilder.Start(EnvelopeLength + groupId.Length + toUserId.Length + RawLength(data));
        var w = b.Writer;
        BeginRequest(w, id, "relay");
        w.WriteStringValue(groupId);
        w.WriteStringValue(toUserId);
        WriteElement(w, data);
        w.WriteEndArray();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>
    /// The server's <c>relay [groupId, fromUserId, data]</c>; a notification (no id) when
    /// <paramref name="id"/> is <see cref="RequestId.None"/>. <paramref name="rawData"/> was validated when received.
    /// </summary>
    public static OutgoingFrame ForwardedRelay(in RequestId id, string groupId, string fromUserId, ReadOnlySpan<byte> rawData)
    {
        var b = FrameBuilder.Start(EnvelopeLength + groupId.Length + fromUserId.Length + rawData.Length);
        var w = b.Writer;
        Begin(w);
        if (id.IsPresent)
        {
            WriteId(w, id);
        }

        w.WriteString("method"u8, "relay"u8);
        w.WriteStartArray("params"u8);
        w.WriteStringValue(groupId);
        w.WriteStringValue(fromUserId);
        w.WriteRawValue(rawData, skipInputValidation: true);
        w.WriteEndArray();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>A notification <c>{"jsonrpc":"2.0","method":method,"params":[a,b]}</c>.</summary>
    public static OutgoingFrame Notification(string method, string param0, string param1)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        Begin(w);
        w.WriteString("method"u8, method);
        w.WriteStartArray("params"u8);
        w.WriteStringValue(param0);
        w.WriteStringValue(param1);
        w.WriteEndArray();
        w.WriteEndObject();
        return b.Finish();
    }

    private static void BeginRequest(Utf8JsonWriter w, long id, string method)
    {
        Begin(w);
        w.WriteNumber("id"u8, id);
        w.WriteString("method"u8, method);
        w.WriteStartArray("params"u8);
    }

    // ---- responses ------------------------------------------------------------------------------

    /// <summary><c>{"jsonrpc":"2.0","id":id,"result":"value"}</c></summary>
    public static OutgoingFrame Result(in RequestId id, string value)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WriteString("result"u8, value);
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary><c>{"jsonrpc":"2.0","id":id,"result":true}</c></summary>
    public static OutgoingFrame ResultTrue(in RequestId id)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WriteBoolean("result"u8, true);
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>A result that is an array of strings.</summary>
    public static OutgoingFrame Result(in RequestId id, IReadOnlyList<string> values)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WriteStartArray("result"u8);
        for (var i = 0; i < values.Count; i++)
        {
            w.WriteStringValue(values[i]);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>The <c>get_resume_token</c> result <c>{"token","gracePeriodMs"}</c>.</summary>
    public static OutgoingFrame ResumeTokenResult(in RequestId id, string token, long gracePeriodMs)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WriteStartObject("result"u8);
        w.WriteString("token"u8, token);
        w.WriteNumber("gracePeriodMs"u8, gracePeriodMs);
        w.WriteEndObject();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>The <c>resume</c> result <c>{"id","groups"}</c>.</summary>
    public static OutgoingFrame ResumeResult(in RequestId id, string userId, IReadOnlyCollection<string> groups)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WriteStartObject("result"u8);
        w.WriteString("id"u8, userId);
        w.WriteStartArray("groups"u8);
        foreach (var group in groups)
        {
            w.WriteStringValue(group);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>The <c>get_group</c> result <c>{"id","owner","capability","members"}</c>.</summary>
    public static OutgoingFrame GroupResult(in RequestId id, string groupId, string owner, int capability, IReadOnlyList<string> members)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WriteStartObject("result"u8);
        w.WriteString("id"u8, groupId);
        w.WriteString("owner"u8, owner);
        w.WriteNumber("capability"u8, capability);
        w.WriteStartArray("members"u8);
        for (var i = 0; i < members.Count; i++)
        {
            w.WriteStringValue(members[i]);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>The <c>get_ice_servers</c> result: <c>[{"urls":[...],"username":...,"credential":...}]</c> (no null members).</summary>
    public static OutgoingFrame IceServersResult(in RequestId id, IReadOnlyList<IceServerPayload> servers)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WriteStartArray("result"u8);
        foreach (var server in servers)
        {
            w.WriteStartObject();
            w.WriteStartArray("urls"u8);
            foreach (var url in server.Urls)
            {
                w.WriteStringValue(url);
            }

            w.WriteEndArray();
            if (server.Username is not null)
            {
                w.WriteString("username"u8, server.Username);
            }

            if (server.Credential is not null)
            {
                w.WriteString("credential"u8, server.Credential);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>A result that is any JSON value (<c>default</c> writes <c>null</c>).</summary>
    public static OutgoingFrame Result(in RequestId id, JsonElement value)
    {
        var b = FrameBuilder.Start(EnvelopeLength + RawLength(value));
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WritePropertyName("result"u8);
        WriteElement(w, value);
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>A response carrying a raw (already validated) <c>result</c> or <c>error</c> value.</summary>
    public static OutgoingFrame RawResponse(in RequestId id, bool isError, ReadOnlySpan<byte> rawValue)
    {
        var b = FrameBuilder.Start(EnvelopeLength + rawValue.Length);
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WritePropertyName(isError ? "error"u8 : "result"u8);
        w.WriteRawValue(rawValue, skipInputValidation: true);
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary><c>{"jsonrpc":"2.0","id":id,"error":{"code":code,"message":message[,"data":data]}}</c></summary>
    public static OutgoingFrame Error(in RequestId id, int code, string message, JsonElement? data = null)
    {
        var b = FrameBuilder.Start();
        var w = b.Writer;
        Begin(w);
        WriteId(w, id);
        w.WriteStartObject("error"u8);
        w.WriteNumber("code"u8, code);
        w.WriteString("message"u8, message);
        if (data is { ValueKind: not JsonValueKind.Undefined } d)
        {
            w.WritePropertyName("data"u8);
            d.WriteTo(w);
        }

        w.WriteEndObject();
        w.WriteEndObject();
        return b.Finish();
    }

    /// <summary>The length of the value's JSON as parsed (0 for <c>default</c>): about what writing it takes.</summary>
    private static int RawLength(JsonElement value) =>
        value.ValueKind == JsonValueKind.Undefined ? 0 : System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value).Length;

    private static void WriteElement(Utf8JsonWriter w, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            w.WriteNullValue();
        }
        else
        {
            value.WriteTo(w);
        }
    }
}
