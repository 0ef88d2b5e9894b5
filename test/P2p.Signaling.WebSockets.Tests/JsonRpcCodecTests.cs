using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.WebSockets.Tests;

/// <summary>The shared wire codec: parsing every kind of message, rejecting bad ones, and writer → parser round trips.</summary>
public class JsonRpcCodecTests
{
    private static JsonRpcParseStatus Parse(string json, out JsonRpcFrame frame) => JsonRpcFrame.TryParse(Encoding.UTF8.GetBytes(json), out frame);

    private static string Text(OutgoingFrame frame)
    {
        var text = Encoding.UTF8.GetString(frame.Memory.Span);
        frame.Release();
        return text;
    }

    [Test]
    public void ARequestExposesItsMethodIdAndPositionalParams()
    {
        var json = """{"jsonrpc":"2.0","id":12,"method":"relay","params":["g","u",{"type":"offer","sdp":"v=0"}]}""";
        Assert.That(Parse(json, out var frame), Is.EqualTo(JsonRpcParseStatus.Ok));
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Multiple(() =>
        {
            Assert.That(frame.Kind, Is.EqualTo(JsonRpcKind.Request));
            Assert.That(frame.Method, Is.EqualTo(JsonRpcMethod.Relay));
            Assert.That(frame.Id.TryGetInt64(out var id) && id == 12, Is.True);
            Assert.That(frame.ParamCount, Is.EqualTo(3));
            Assert.That(frame.Param0.GetString(bytes), Is.EqualTo("g"));
            Assert.That(frame.Param1.GetString(bytes), Is.EqualTo("u"));
            Assert.That(Encoding.UTF8.GetString(frame.Param2.Of(bytes)), Is.EqualTo("""{"type":"offer","sdp":"v=0"}"""));
        });
    }

    [TestCase("\"abc\"", true, "abc")]
    [TestCase("\"\"", true, "")]
    [TestCase("\"h\\u00e9llo\"", false, null)]
    [TestCase("\"a\\nb\"", false, null)]
    [TestCase("\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefX\"", false, null)]
    [TestCase("12", false, null)]
    [TestCase("null", false, null)]
    [TestCase("[\"a\"]", false, null)]
    public void StringCharsAreDecodedOnlyWithoutEscapesAndWhenTheyFit(string param, bool decoded, string? expected)
    {
        var bytes = Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"method\":\"relay\",\"params\":[" + param + "]}");
        Assert.That(JsonRpcFrame.TryParse(bytes, out var frame), Is.EqualTo(JsonRpcParseStatus.Ok));
        Span<char> chars = stackalloc char[64];
        var ok = frame.Param0.TryGetChars(bytes, chars, out var written);
        Assert.That(ok, Is.EqualTo(decoded));
        if (decoded)
        {
            Assert.That(chars[..written].ToString(), Is.EqualTo(expected));
        }
    }

    [Test]
    public void NonAsciiStringCharsAreDecoded()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"method\":\"relay\",\"params\":[\"gr\u00fcppe-\u65e5\"]}"); // raw UTF-8, no JSON escapes
        Assert.That(JsonRpcFrame.TryParse(bytes, out var frame), Is.EqualTo(JsonRpcParseStatus.Ok));
        Span<char> chars = stackalloc char[64];
        Assert.That(frame.Param0.TryGetChars(bytes, chars, out var written), Is.True);
        Assert.That(chars[..written].ToString(), Is.EqualTo(frame.Param0.GetString(bytes)));
    }

    [TestCase("""{"method":"init"}""", "Notification")]
    [TestCase("""{"jsonrpc":"2.0","method":"member_left","params":["g","u"]}""", "Notification")]
    [TestCase("""{"jsonrpc":"2.0","id":null,"method":"init","params":[]}""", "Request")]
    [TestCase("""{"jsonrpc":"2.0","id":"x","result":null}""", "Response")]
    [TestCase("""{"jsonrpc":"2.0","id":1,"result":false}""", "Response")]
    [TestCase("""{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"}}""", "Response")]
    [TestCase(""" {"result":0,"id":1} """, "Response")]
    public void TheKindComesFromWhichKeysArePresent(string json, string kind)
    {
        Assert.That(Parse(json, out var frame), Is.EqualTo(JsonRpcParseStatus.Ok));
        Assert.That(frame.Kind.ToString(), Is.EqualTo(kind));
    }

    [TestCase("")]
    [TestCase("{")]
    [TestCase("{\"id\":1,}")]
    [TestCase("{\"id\":1} x")]
    [TestCase("{'id':1}")]
    [TestCase("{\"id\":1}{\"id\":2}")]
    public void InvalidJsonIsAParseError(string json) => Assert.That(Parse(json, out _), Is.EqualTo(JsonRpcParseStatus.ParseError));

    // Found by fuzzing (fuzz/findings/signaling-*): the reader throws InvalidOperationException when it must unescape text
    // that is well-formed JSON but no string (a lone surrogate), which ended the server's connection and the client's link.
    [TestCase("""{"\ud800":1,"id":1,"method":"init"}""")]
    [TestCase("""{"jsonrpc":"2.0","id":1,"method":"\ud800"}""")]
    [TestCase("""{"jsonrpc":"\ud8002.0","id":1,"method":"init"}""")]
    [TestCase("""{"jsonrpc":"2.0","id":1,"re\ud800sult":1}""")]
    public void A_lone_surrogate_where_the_parser_compares_text_is_a_parse_error_not_an_exception(string json) =>
        Assert.That(Parse(json, out _), Is.EqualTo(JsonRpcParseStatus.ParseError));

    [Test]
    public void A_string_param_that_is_not_text_reads_as_no_string()
    {
        var escaped = Encoding.UTF8.GetBytes("""{"method":"relay","params":["\ud800x","ok"]}""");
        Assert.That(JsonRpcFrame.TryParse(escaped, out var frame), Is.EqualTo(JsonRpcParseStatus.Ok));
        Assert.That(frame.Param0.GetString(escaped), Is.Null);
        Assert.That(frame.Param1.GetString(escaped), Is.EqualTo("ok"));

        byte[] invalidUtf8 = [.. "{\"method\":\"relay\",\"params\":[\""u8, 0xE4, .. "\"]}"u8];
        Assert.That(JsonRpcFrame.TryParse(invalidUtf8, out var raw), Is.EqualTo(JsonRpcParseStatus.Ok), "the reader does not validate UTF-8 it skips");
        Assert.That(raw.Param0.GetString(invalidUtf8), Is.Null);
    }

    [TestCase("[]", "Batch")]
    [TestCase("42", "object")]
    [TestCase("""{"jsonrpc":"1.0","id":1,"method":"init"}""", "2.0")]
    [TestCase("""{"id":1,"method":5}""", "method")]
    [TestCase("""{"id":[1],"method":"init"}""", "id")]
    [TestCase("""{"id":1}""", "needs")]
    [TestCase("""{"id":1,"method":"init","result":1}""", "both")]
    [TestCase("""{"id":1,"result":1,"error":{}}""", "both")]
    [TestCase("""{"result":1}""", "id")]
    public void StructurallyWrongMessagesAreInvalidRequestsWithAReason(string json, string reason)
    {
        Assert.That(Parse(json, out var frame), Is.EqualTo(JsonRpcParseStatus.InvalidRequest));
        Assert.That(frame.Problem, Does.Contain(reason));
    }

    [Test]
    public void AnInvalidRequestKeepsItsIdForTheErrorResponse()
    {
        Parse("""{"jsonrpc":"1.0","id":"q7","method":"init"}""", out var frame);
        Assert.That(frame.Id.ToString(), Is.EqualTo("\"q7\""));
    }

    [TestCase("""{"id":"a\"b","x":1}""", "\"a\\\"b\"")]
    [TestCase("""{"id":1.5}""", "1.5")]
    [TestCase("""{"id":-9007199254740993}""", "-9007199254740993")]
    [TestCase("""{"id":null}""", "null")]
    public void IdsAreEchoedVerbatim(string json, string expected)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        reader.Read();
        reader.Read();
        var id = RequestId.FromReader(ref reader);
        Assert.That(Text(JsonRpcWriter.ResultTrue(id)), Is.EqualTo("{\"jsonrpc\":\"2.0\",\"id\":" + expected + ",\"result\":true}"));
    }

    [Test]
    public void ThePrefixOfAnOversizedMessageRevealsItsIdAndKind()
    {
        var request = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":41,"method":"relay","params":["g","u","xxxxxxxx""");
        var (id, isRequest, isResponse) = JsonRpcFrame.ScanPrefix(request);
        Assert.That(id.ToString(), Is.EqualTo("41"));
        Assert.That((isRequest, isResponse), Is.EqualTo((true, false)));

        var response = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":"r","result":{"sdp":"v=0 and so on""");
        (id, isRequest, isResponse) = JsonRpcFrame.ScanPrefix(response);
        Assert.That(id.ToString(), Is.EqualTo("\"r\""));
        Assert.That((isRequest, isResponse), Is.EqualTo((false, true)));

        (id, _, _) = JsonRpcFrame.ScanPrefix(Encoding.UTF8.GetBytes("garbage"));
        Assert.That(id.IsPresent, Is.False);
    }

    // Found by fuzzing (fuzz/findings/signaling-server/crash-38687cb42332): the relay target's error object is checked member by member.
    [TestCase("""{"code":-32000,"mess\ud800age":"m"}""")]
    [TestCase("""{"\udc00":1,"code":-32000,"message":"m"}""")]
    public void An_error_object_with_a_member_name_that_is_no_text_is_invalid_not_an_exception(string json) =>
        Assert.That(JsonRpcFrame.IsValidErrorObject(Encoding.UTF8.GetBytes(json)), Is.False);

    [TestCase("""{"code":-32000,"message":"m"}""", true)]
    [TestCase("""{"message":"m","data":{"code":"x"},"code":7}""", true)]
    [TestCase("""{"code":1.5,"message":"m"}""", false)]
    [TestCase("""{"code":1}""", false)]
    [TestCase("""{"message":"m"}""", false)]
    [TestCase("""[1]""", false)]
    [TestCase("""null""", false)]
    public void ErrorObjectsAreValidated(string json, bool valid) =>
        Assert.That(JsonRpcFrame.IsValidErrorObject(Encoding.UTF8.GetBytes(json)), Is.EqualTo(valid));

    [Test]
    public void NotificationsHaveNoId() =>
        Assert.That(Text(JsonRpcWriter.Notification("member_joined", "g", "u")), Is.EqualTo("""{"jsonrpc":"2.0","method":"member_joined","params":["g","u"]}"""));

    [Test]
    public void ErrorsCarryOptionalData()
    {
        Assert.That(Text(JsonRpcWriter.Error(RequestId.FromNumber(3), -32002, "No group 'g'.")),
            Is.EqualTo("""{"jsonrpc":"2.0","id":3,"error":{"code":-32002,"message":"No group 'g'."}}"""));
        Assert.That(Text(JsonRpcWriter.Error(RequestId.Null, -1, "m", JsonElement.Parse("{\"a\":1}"))),
            Is.EqualTo("""{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"m","data":{"a":1}}}"""));
    }

    private static readonly Gen<string> TextGen = Gen.ArrayOf(Gen.OneOf(
        Gen.Elements('"', '\\', '\n', '\0', '\'', '<', 'é', '中'),
        Gen.Choose(0x20, 0x7e).Select(i => (char)i),
        Gen.Choose(0, 0xd7ff).Select(i => (char)i))).Select(c => new string(c));

    private static readonly Gen<string> JsonGen = Gen.Sized(size => Json(Math.Min(size, 6)));

    private static Gen<string> Json(int depth)
    {
        var leaves = Gen.OneOf(
            Gen.Elements("null", "true", "false", "0", "-1.5e3", "12345678901234567890"),
            TextGen.Select(s => JsonSerializer.Serialize(s)));
        if (depth <= 0)
        {
            return leaves;
        }

        return Gen.OneOf(
            leaves,
            Gen.ArrayOf(Json(depth - 1), 3).Select(items => "[" + string.Join(",", items) + "]"),
            Gen.ArrayOf(Gen.Zip(TextGen, Json(depth - 1)), 2).Select(props =>
                "{" + string.Join(",", props.Select(p => JsonSerializer.Serialize(p.Item1) + ":" + p.Item2)) + "}"));
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property ForwardedRelaysRoundTrip() => Prop.ForAll(
        Arb.From(Gen.Zip(Gen.Zip(TextGen, TextGen), Gen.Zip(JsonGen, Gen.Choose(0, int.MaxValue)))),
        t =>
        {
            var ((groupId, from), (data, id)) = t;
            var frame = JsonRpcWriter.ForwardedRelay(RequestId.FromNumber(id), groupId, from, Encoding.UTF8.GetBytes(data));
            var bytes = frame.Memory.ToArray();
            frame.Release();
            var ok = JsonRpcFrame.TryParse(bytes, out var parsed) == JsonRpcParseStatus.Ok;
            return ok
                && parsed.Kind == JsonRpcKind.Request
                && parsed.Method == JsonRpcMethod.Relay
                && parsed.Id.TryGetInt64(out var back) && back == id
                && parsed.ParamCount == 3
                && parsed.Param0.GetString(bytes) == groupId
                && parsed.Param1.GetString(bytes) == from
                && JsonElement.DeepEquals(parsed.Param2.ToElement(bytes), JsonElement.Parse(data));
        });

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property ClientRelaysAndRawResponsesRoundTrip() => Prop.ForAll(
        Arb.From(Gen.Zip(Gen.Zip(TextGen, TextGen), Gen.Zip(JsonGen, Gen.Elements(true, false)))),
        t =>
        {
            var ((groupId, to), (data, isError)) = t;
            var element = JsonElement.Parse(data);
            var request = JsonRpcWriter.RelayRequest(77, groupId, to, element);
            var requestBytes = request.Memory.ToArray();
            request.Release();
            JsonRpcFrame.TryParse(requestBytes, out var parsedRequest);

            // The server forwards the answer's raw bytes; a response keeps result/error and null/false values.
            var response = JsonRpcWriter.RawResponse(RequestId.FromNumber(5), isError, Encoding.UTF8.GetBytes(data));
            var responseBytes = response.Memory.ToArray();
            response.Release();
            var ok = JsonRpcFrame.TryParse(responseBytes, out var parsedResponse) == JsonRpcParseStatus.Ok;
            var value = isError ? parsedResponse.Error : parsedResponse.Result;
            return parsedRequest.Param0.GetString(requestBytes) == groupId
                && parsedRequest.Param1.GetString(requestBytes) == to
                && JsonElement.DeepEquals(parsedRequest.Param2.ToElement(requestBytes), element)
                && ok && parsedResponse.Kind == JsonRpcKind.Response
                && JsonElement.DeepEquals(value.ToElement(responseBytes), element);
        });

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property StringIdsSurviveTheRoundTrip() => Prop.ForAll(
        Arb.From(TextGen),
        id =>
        {
            var json = "{\"id\":" + JsonSerializer.Serialize(id) + ",\"method\":\"init\"}";
            JsonRpcFrame.TryParse(Encoding.UTF8.GetBytes(json), out var frame);
            var reply = Encoding.UTF8.GetBytes(Text(JsonRpcWriter.ResultTrue(frame.Id)));
            JsonRpcFrame.TryParse(reply, out var parsed);
            var reader = new Utf8JsonReader(reply);
            using var doc = JsonDocument.Parse(reply);
            return doc.RootElement.GetProperty("id").GetString() == id && parsed.Kind == JsonRpcKind.Response;
        });
}
