using System.Text.Json;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>
/// A parsed view of one received JSON-RPC 2.0 message: the positions of its members inside the
/// message buffer (nothing is copied except a non-integer id). Positional <c>params</c> are recorded
/// up to <see cref="MaxParams"/> entries; <see cref="ParamCount"/> counts them all.
/// </summary>
internal struct JsonRpcFrame
{
    public const int MaxParams = 3;

    public JsonRpcKind Kind;
    public RequestId Id;
    public JsonRpcMethod Method;
    public JsonSlice MethodName;

    /// <summary>The <c>params</c> value (any type); not present when the key is absent.</summary>
    public JsonSlice Params;
    public int ParamCount;
    public JsonSlice Param0;
    public JsonSlice Param1;
    public JsonSlice Param2;

    /// <summary>The <c>result</c> value of a response (present even when it is <c>null</c>).</summary>
    public JsonSlice Result;

    /// <summary>The <c>error</c> value of a response.</summary>
    public JsonSlice Error;

    /// <summary>Why the message is an invalid request (for the error message).</summary>
    public string? Problem;

    public readonly JsonSlice Param(int index) => index switch
    {
        0 => Param0,
        1 => Param1,
        2 => Param2,
        _ => default,
    };

    /// <summary>Parses one complete message. The whole message is validated as JSON.</summary>
    public static JsonRpcParseStatus TryParse(ReadOnlySpan<byte> message, out JsonRpcFrame frame)
    {
        frame = default;
        var reader = new Utf8JsonReader(message, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read())
            {
                return JsonRpcParseStatus.ParseError;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var isBatch = reader.TokenType == JsonTokenType.StartArray;
                reader.Skip();
                reader.Read(); // throws on trailing garbage
                frame.Problem = isBatch ? "Batch requests are not supported." : "A message must be a JSON object.";
                return JsonRpcParseStatus.InvalidRequest;
            }

            var hasMethod = false;
            var hasId = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number or JsonTokenType.Null)
                    {
                        frame.Id = RequestId.FromReader(ref reader);
                        hasId = true;
                    }
                    else
                    {
                        reader.Skip();
                        frame.Problem ??= "\"id\" must be a string, a number or null.";
                    }
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        hasMethod = true;
                        frame.Method = JsonRpcMethods.Recognise(ref reader);
                        frame.MethodName = Slice(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                        frame.Problem ??= "\"method\" must be a string.";
                    }
                }
                else if (reader.ValueTextEquals("params"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    var type = reader.TokenType;
                    if (type == JsonTokenType.StartArray)
                    {
                        ReadParams(ref reader, ref frame);
                    }
                    else
                    {
                        reader.Skip();
                    }

                    frame.Params = new JsonSlice(start, (int)reader.BytesConsumed - start, type);
                }
                else if (reader.ValueTextEquals("result"u8))
                {
                    reader.Read();
                    frame.Result = SkipValue(ref reader);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    frame.Error = SkipValue(ref reader);
                }
                else if (reader.ValueTextEquals("jsonrpc"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || !reader.ValueTextEquals("2.0"u8))
                    {
                        reader.Skip();
                        frame.Problem ??= "\"jsonrpc\" must be \"2.0\".";
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            reader.Read(); // past the end of the object: throws on trailing garbage

            var isResponse = frame.Result.IsPresent || frame.Error.IsPresent;
            if (hasMethod && isResponse)
            {
                frame.Problem ??= "A message cannot have both \"method\" and \"result\"/\"error\".";
            }
            else if (isResponse && frame.Result.IsPresent && frame.Error.IsPresent)
            {
                frame.Problem ??= "A response cannot have both \"result\" and \"error\".";
            }
            else if (!hasMethod && !isResponse)
            {
                frame.Problem ??= "A message needs \"method\" (a request) or \"result\"/\"error\" (a response).";
            }
            else if (isResponse && !hasId)
            {
                frame.Problem ??= "A response needs an \"id\".";
            }

            if (frame.Problem is not null)
            {
                return JsonRpcParseStatus.InvalidRequest;
            }

            frame.Kind = isResponse ? JsonRpcKind.Response : hasId ? JsonRpcKind.Request : JsonRpcKind.Notification;
            return JsonRpcParseStatus.Ok;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: the reader could not unescape a name or string it compared (a lone surrogate
            // such as "\ud800" in a member name, "method" or "jsonrpc"), which is well-formed JSON but not text.
            frame = default;
            return JsonRpcParseStatus.ParseError;
        }
    }

    private static void ReadParams(ref Utf8JsonReader reader, ref JsonRpcFrame frame)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var slice = SkipValue(ref reader);
            switch (count)
            {
                case 0: frame.Param0 = slice; break;
                case 1: frame.Param1 = slice; break;
                case 2: frame.Param2 = slice; break;
                default: break;
            }

            count++;
        }

        frame.ParamCount = count;
    }

    /// <summary>Records the value starting at the current token and moves the reader to its last token.</summary>
    private static JsonSlice SkipValue(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        var type = reader.TokenType;
        reader.Skip();
        return new JsonSlice(start, (int)reader.BytesConsumed - start, type);
    }

    private static JsonSlice Slice(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        return new JsonSlice(start, (int)reader.BytesConsumed - start, reader.TokenType);
    }

    /// <summary>
    /// Looks at the start of a message too large to read whole, for its id and whether it is a
    /// request or a response, so the right party can be told. Never throws.
    /// </summary>
    public static (RequestId Id, bool IsRequest, bool IsResponse) ScanPrefix(ReadOnlySpan<byte> prefix)
    {
        var id = RequestId.None;
        bool isRequest = false, isResponse = false;
        var reader = new Utf8JsonReader(prefix, isFinalBlock: false, state: new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 }));
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (id, false, false);
            }

            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                if (reader.ValueTextEquals("id"u8))
                {
                    if (!reader.Read())
                    {
                        break;
                    }

                    if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number or JsonTokenType.Null)
                    {
                        id = RequestId.FromReader(ref reader);
                    }
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    isRequest = true;
                }
                else if (reader.ValueTextEquals("result"u8) || reader.ValueTextEquals("error"u8))
                {
                    isResponse = true;
                }

                if (id.IsPresent && (isRequest || isResponse))
                {
                    break;
                }
            }
        }
        catch (JsonException)
        {
            // The prefix is malformed: report what was found so far.
        }
        catch (InvalidOperationException)
        {
            // Cannot happen for well-formed use of the reader; never let a bad prefix throw.
        }

        return (id, isRequest, isResponse);
    }

    /// <summary>
    /// Checks that an error value is a JSON-RPC error object (an object with an integer <c>code</c>
    /// and a string <c>message</c>), as a relay's receiver must send.
    /// </summary>
    public static bool IsValidErrorObject(ReadOnlySpan<byte> error)
    {
        var reader = new Utf8JsonReader(error);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        bool hasCode = false, hasMessage = false;
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    hasCode = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out _);
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    hasMessage = reader.TokenType == JsonTokenType.String;
                }
                else
                {
                    reader.Read();
                }

                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false; // a member name that is no text (an escaped lone surrogate): not an error object
        }

        return hasCode && hasMessage;
    }
}
