using P2p.Fuzzing.Support;
using P2p.WebRtc.Stun;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// STUN (RFC 8489): <see cref="StunMessage.TryParse"/> and every attribute accessor (addresses, XOR addresses,
/// numbers, strings, ERROR-CODE, UNKNOWN-ATTRIBUTES, both integrities), on the bytes as received and once more with
/// the integrity and fingerprint fixed up (<see cref="StunFixup"/>). Bad input is a parse result, never an exception.
/// </summary>
internal static class StunTarget
{
    /// <summary>The key the fix-up signs with and the target verifies with.</summary>
    internal static readonly byte[] Key = StunCredentials.ShortTermKey("fuzz-password");

    private static readonly StunAttributeType[] Types = Enum.GetValues<StunAttributeType>();

    public static void Run(ReadOnlySpan<byte> data)
    {
        _ = StunMessage.IsStun(data);
        Inspect(data);
        var copy = data.ToArray();
        if (StunFixup.Apply(copy, Key))
        {
            Inspect(copy);
        }
    }

    /// <summary>Parses and reads everything a receiver may read.</summary>
    internal static void Inspect(ReadOnlySpan<byte> data)
    {
        if (StunMessage.TryParse(data, out var msg) != StunParseResult.Success)
        {
            return;
        }

        _ = msg.Method;
        _ = msg.Class;
        _ = msg.TransactionId.ToString();
        foreach (var a in msg)
        {
            _ = a.Type;
            _ = a.IsComprehensionRequired;
            StunAddressCodec.TryDecode(a.Value, out _);
            StunAddressCodec.TryDecodeXor(a.Value, msg.TransactionId, out _);
        }

        foreach (var type in Types)
        {
            msg.TryGetAttribute(type, out _);
            msg.TryGetUInt32(type, out _);
            msg.TryGetUInt64(type, out _);
            msg.TryGetXorAddress(type, out _);
            _ = msg.GetString(type);
        }

        msg.TryGetXorMappedAddress(out _);
        msg.TryGetMappedAddress(out _);
        msg.TryGetErrorCode(out _, out _);
        Span<ushort> types = stackalloc ushort[16];
        msg.GetUnknownAttributes(types);
        msg.GetUnknownComprehensionRequired(types);
        msg.VerifyMessageIntegrity(Key);
        msg.VerifyMessageIntegritySha256(Key);
    }
}
