using System.Net;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Tests.Turn;

/// <summary>A TURN server link the test plays the server on: it records what the client sends and delivers what the test answers.</summary>
internal sealed class ScriptedTurnLink(bool reliable = false) : ITurnServerLink
{
    public const string Realm = "p2p.test";
    public const string User = "alice";
    public const string Password = "secret";
    private TurnServerMessageHandler? _handler;
    private Action<Exception?>? _closed;

    public static readonly byte[] Key = StunCredentials.LongTermKey(User, Realm, Password);

    public IPEndPoint Server { get; } = new(IPAddress.Parse("198.51.100.1"), 3478);

    public bool IsReliable { get; } = reliable;

    public List<byte[]> Sent { get; } = [];

    public bool Disposed { get; private set; }

    public void Start(TurnServerMessageHandler handler, Action<Exception?> closed)
    {
        _handler = handler;
        _closed = closed;
    }

    public bool Send(ReadOnlySpan<byte> message)
    {
        Sent.Add(message.ToArray());
        return !Disposed;
    }

    public void Deliver(byte[] message) => _handler!(message);

    public void Close(Exception error) => _closed!(error);

    public void Dispose() => Disposed = true;

    /// <summary>The requests sent so far, parsed: method, transaction id and the message bytes.</summary>
    public List<(StunMethod Method, StunTransactionId Id, byte[] Bytes)> Requests() =>
        Sent.Where(m => StunMessage.TryParse(m, out var msg) == StunParseResult.Success && msg.Class == StunMessageClass.Request)
            .Select(m =>
            {
                StunMessage.TryParse(m, out var msg);
                return (msg.Method, msg.TransactionId, m);
            })
            .ToList();

    public static byte[] Challenge(StunMethod method, StunTransactionId id, int code, string nonce)
    {
        var buffer = new byte[256];
        var w = new StunMessageWriter(buffer, method, StunMessageClass.ErrorResponse, id);
        w.AddErrorCode(code);
        w.AddString(StunAttributeType.Realm, Realm);
        w.AddString(StunAttributeType.Nonce, nonce);
        w.AddFingerprint();
        return buffer[..w.Length];
    }

    public static byte[] Success(StunMethod method, StunTransactionId id, Action<byte[], StunTransactionId>? attributes = null, uint? lifetime = null, IPEndPoint? relayed = null, IPEndPoint? mapped = null, byte[]? key = null, bool signed = true)
    {
        var buffer = new byte[256];
        var w = new StunMessageWriter(buffer, method, StunMessageClass.SuccessResponse, id);
        if (relayed is not null)
        {
            w.AddXorAddress(relayed, StunAttributeType.XorRelayedAddress);
        }

        if (mapped is not null)
        {
            w.AddXorAddress(mapped);
        }

        if (lifetime is { } l)
        {
            w.AddUInt32(StunAttributeType.Lifetime, l);
        }

        if (signed)
        {
            w.AddMessageIntegrity(key ?? Key);
        }

        w.AddFingerprint();
        return buffer[..w.Length];
    }
}
