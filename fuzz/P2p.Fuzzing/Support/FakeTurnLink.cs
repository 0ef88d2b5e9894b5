using System.Net;
using P2p.WebRtc.Turn;

namespace P2p.Fuzzing.Support;

/// <summary>A TURN server link that delivers what the target hands it and remembers the client's last request (not its indications).</summary>
internal sealed class FakeTurnLink : ITurnServerLink
{
    private TurnServerMessageHandler? _handler;

    public IPEndPoint Server { get; } = new(IPAddress.Loopback, 3478);

    public bool IsReliable => true;

    /// <summary>The last STUN request the client sent (its transaction id is copied into the answers).</summary>
    public byte[]? LastRequest { get; private set; }

    public void Start(TurnServerMessageHandler handler, Action<Exception?> closed) => _handler = handler;

    public bool Send(ReadOnlySpan<byte> message)
    {
        if (message.Length >= 20 && message[0] >> 6 == 0 && (message[0] & 0x01) == 0 && (message[1] & 0x10) == 0) // a request (RFC 8489 §5)
        {
            LastRequest = message.ToArray();
        }

        return true;
    }

    /// <summary>Delivers one message from the "server".</summary>
    public void Deliver(ReadOnlySpan<byte> message) => _handler?.Invoke(message);

    public void Dispose()
    {
    }
}
