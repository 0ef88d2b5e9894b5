using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Tests.Turn;

/// <summary>TURN over TCP/TLS framing (RFC 8656 §12.5): what the reader delivers, and that nothing escapes its loop.</summary>
public sealed class TurnStreamLinkTests
{
    [Test]
    [CancelAfter(10_000)]
    public async Task A_message_the_handler_fails_on_is_dropped_and_the_link_keeps_reading(CancellationToken ct)
    {
        var first = Indication();
        var second = Indication();
        var channelData = new byte[] { 0x40, 0x00, 0x00, 0x01, 0x2A, 0, 0, 0 }; // one byte of data, padded to 4
        using var stream = new MemoryStream([.. first, .. channelData, .. second]);
        using var link = new TurnStreamLink(stream, new IPEndPoint(IPAddress.Loopback, 3478), NullLogger.Instance);
        var delivered = new List<int>();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);

        link.Start(
            message =>
            {
                delivered.Add(message.Length);
                if (delivered.Count == 1)
                {
                    throw new InvalidOperationException("a bug above the link");
                }
            },
            error => closed.TrySetResult(error));

        var error = await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
        Assert.That(delivered, Is.EqualTo(new[] { first.Length, 5, second.Length }));
        Assert.That(error, Is.TypeOf<IOException>(), "closed because the stream ended, not because of the handler");
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task Bytes_that_are_neither_STUN_nor_ChannelData_close_the_link(CancellationToken ct)
    {
        using var stream = new MemoryStream([.. Indication(), 0x80, 0, 0, 0]);
        using var link = new TurnStreamLink(stream, new IPEndPoint(IPAddress.Loopback, 3478), NullLogger.Instance);
        var delivered = 0;
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);

        link.Start(_ => delivered++, error => closed.TrySetResult(error));

        Assert.That(await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), ct), Is.TypeOf<InvalidDataException>());
        Assert.That(delivered, Is.EqualTo(1));
    }

    private static byte[] Indication()
    {
        var w = new StunMessageWriter(new byte[64], StunMethod.Binding, StunMessageClass.Indication, StunTransactionId.NewRandom());
        w.AddFingerprint();
        return w.Written.ToArray();
    }
}
