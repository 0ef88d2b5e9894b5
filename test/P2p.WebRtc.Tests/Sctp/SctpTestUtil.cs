using System.Security.Cryptography;
using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>Helpers shared by the SCTP tests.</summary>
internal static class SctpTestUtil
{
    /// <summary>Options for virtual-clock tests: large messages allowed, quick timers.</summary>
    public static SctpOptions Options(int maxMessage = 32 * 1024 * 1024) => new()
    {
        MaxMessageSize = maxMessage,
        MaxReceiveMessageSize = maxMessage,
        MaxSendBufferSize = 256L * 1024 * 1024,
    };

    public static byte[] Payload(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static string Sha(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));

    public static IEnumerable<SctpMessage> Messages(this List<SctpEvent> events)
        => events.Where(e => e.Type == SctpEventType.MessageReceived).Select(e => e.Message);

    public static SctpEvent? Closed(this List<SctpEvent> events)
        => events.Where(e => e.Type == SctpEventType.Closed).Cast<SctpEvent?>().FirstOrDefault();

    /// <summary>Sends, asserting success.</summary>
    public static void SendOk(this SctpAssociation a, SctpSimulation sim, ushort stream, uint ppid, byte[] payload, SctpSendOptions options = default)
        => Assert.That(a.Send(stream, ppid, payload, options, sim.Now), Is.EqualTo(SctpSendStatus.Success));
}
