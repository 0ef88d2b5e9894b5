using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using P2p.Fuzzing.Support;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Turn;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// The TURN client (RFC 8656) as a TCP server would feed it: the input is the server's byte stream, split into STUN
/// and ChannelData messages by <see cref="TurnStreamLink.TryFrame"/> (non-TURN framing ends the stream with
/// <see cref="InvalidDataException"/>, its documented result), each message given to a <see cref="TurnAllocation"/>
/// that has sent its Allocate. STUN answers get the transaction id of the client's last request (unless their id
/// starts with 0xFF) and a fixed-up integrity (key of user/realm/password fuzz/p2p.test/fuzz) and fingerprint, so
/// the fuzzer drives the 401 challenge, the allocation, permissions, channel binds, refreshes and Data indications.
/// </summary>
internal static class TurnTarget
{
    internal const string Realm = "p2p.test";

    private static readonly byte[] Key = StunCredentials.LongTermKey("fuzz", Realm, "fuzz");
    private static readonly SocketAddress Peer = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000).Serialize();

    public static void Run(ReadOnlySpan<byte> data)
    {
        var time = new FakeTimeProvider();
        var link = new FakeTurnLink();
        using var allocation = new TurnAllocation(new TurnServer("127.0.0.1", 3478, TurnTransport.Tcp, "fuzz", "fuzz"), link, time, NullLogger.Instance);
        allocation.Start(static (_, _) => { });
        var allocated = allocation.AllocateAsync(CancellationToken.None);
        var rest = data;
        while (true)
        {
            int length, padded;
            try
            {
                if (!TurnStreamLink.TryFrame(rest, out length, out padded))
                {
                    break;
                }
            }
            catch (InvalidDataException)
            {
                break; // the stream is not TURN framing: the link closes
            }

            var message = rest[..length].ToArray();
            rest = rest[padded..];
            if (message[0] >> 6 == 0 && message.Length >= 20 && message[8] != 0xFF && link.LastRequest is { } request)
            {
                request.AsSpan(8, 12).CopyTo(message.AsSpan(8));
                StunFixup.Apply(message, Key);
            }

            link.Deliver(message);
            if (allocation.Lifetime > TimeSpan.Zero && !allocation.IsLost) // granted with the relayed address, synchronously
            {
                allocation.Send([1, 2, 3], Peer);
            }

            time.Advance(TimeSpan.FromSeconds(20));
        }

        _ = allocated.Exception; // observed: an allocation that failed or never finished is a normal outcome
    }
}
