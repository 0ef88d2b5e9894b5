using System.Buffers;
using System.Text.Json;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>
/// A JSON-RPC request id as received, kept so it can be echoed back exactly (JSON-RPC 2.0 section 5:
/// the response's id is the request's). Integers that fit an <see cref="long"/> are kept without
/// allocating; strings and other numbers are kept as their raw JSON token.
/// </summary>
internal readonly struct RequestId
{
    private const byte KindNone = 0;
    private const byte KindNumber = 1;
    private const byte KindRaw = 2;
    private const byte KindNull = 3;

    private readonly long _number;
    private readonly byte[]? _raw;
    private readonly byte _kind;

    private RequestId(byte kind, long number, byte[]? raw)
    {
        _kind = kind;
        _number = number;
        _raw = raw;
    }

    /// <summary>No id at all: the message is a notification and gets no response.</summary>
    public static RequestId None => default;

    /// <summary>An explicit JSON <c>null</c> id (also used for errors about messages whose id could not be read).</summary>
    public static RequestId Null => new(KindNull, 0, null);

    /// <summary><see langword="true"/> unless this is <see cref="None"/>.</summary>
    public bool IsPresent => _kind != KindNone;

    public static RequestId FromNumber(long number) => new(KindNumber, number, null);

    /// <summary>Reads the id from the reader's current token (string, number or null).</summary>
    public static RequestId FromReader(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return Null;
            case JsonTokenType.Number when reader.TryGetInt64(out var number):
                return FromNumber(number);
            default:
                // A string (quotes and escapes kept verbatim) or a non-integer number.
                var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray();
                if (reader.TokenType == JsonTokenType.String)
                {
                    var quoted = new byte[raw.Length + 2];
                    quoted[0] = (byte)'"';
                    raw.CopyTo(quoted, 1);
                    quoted[^1] = (byte)'"';
                    raw = quoted;
                }

                return new RequestId(KindRaw, 0, raw);
        }
    }

    /// <summary>The id as an integer, when it is one.</summary>
    public bool TryGetInt64(out long number)
    {
        number = _number;
        return _kind == KindNumber;
    }

    /// <summary>Writes the id as a JSON value (<c>null</c> for <see cref="None"/> and <see cref="Null"/>).</summary>
    public void WriteValue(Utf8JsonWriter writer)
    {
        switch (_kind)
        {
            case KindNumber:
                writer.WriteNumberValue(_number);
                break;
            case KindRaw:
                writer.WriteRawValue(_raw!, skipInputValidation: true);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    public override string ToString() => _kind switch
    {
        KindNumber => _number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        KindRaw => System.Text.Encoding.UTF8.GetString(_raw!),
        KindNull => "null",
        _ => "(none)",
    };
}
