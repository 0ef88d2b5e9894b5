using System.Net;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>The parts of a STUN response from a TURN server that the tests look at, copied out of the message.</summary>
public sealed class TurnReply
{
    public required StunTransactionId TransactionId { get; init; }

    public required StunMethod Method { get; init; }

    public required StunMessageClass Class { get; init; }

    /// <summary>0 for a success response.</summary>
    public int ErrorCode { get; init; }

    public string? Realm { get; init; }

    public string? Nonce { get; init; }

    public IPEndPoint? Relayed { get; init; }

    public IPEndPoint? Mapped { get; init; }

    public uint? Lifetime { get; init; }

    public bool HasMessageIntegrity { get; init; }

    /// <summary>MESSAGE-INTEGRITY present and correct with the client's key.</summary>
    public bool IntegrityVerified { get; init; }

    public bool HasFingerprint { get; init; }

    public IReadOnlyList<ushort> UnknownAttributes { get; init; } = [];

    public byte[] Raw { get; init; } = [];

    public bool IsSuccess => Class == StunMessageClass.SuccessResponse;

    public static TurnReply? Parse(byte[] data, byte[]? key)
    {
        if (!StunMessage.IsStun(data) || StunMessage.TryParse(data, out var m) != StunParseResult.Success)
        {
            return null;
        }

        m.TryGetErrorCode(out var code, out _);
        m.TryGetXorAddress(StunAttributeType.XorRelayedAddress, out var relayed);
        m.TryGetXorMappedAddress(out var mapped);
        Span<ushort> unknown = stackalloc ushort[8];
        var n = m.GetUnknownAttributes(unknown);
        return new TurnReply
        {
            TransactionId = m.TransactionId,
            Method = m.Method,
            Class = m.Class,
            ErrorCode = code,
            Realm = m.GetString(StunAttributeType.Realm),
            Nonce = m.GetString(StunAttributeType.Nonce),
            Relayed = relayed,
            Mapped = mapped,
            Lifetime = m.TryGetUInt32(StunAttributeType.Lifetime, out var lifetime) ? lifetime : null,
            HasMessageIntegrity = m.HasMessageIntegrity,
            IntegrityVerified = key is not null && m.VerifyMessageIntegrity(key),
            HasFingerprint = m.HasFingerprint,
            UnknownAttributes = n > 0 ? unknown[..n].ToArray() : [],
            Raw = data,
        };
    }

    public override string ToString() => $"{Method} {Class}{(ErrorCode != 0 ? $" {ErrorCode}" : string.Empty)}";
}
