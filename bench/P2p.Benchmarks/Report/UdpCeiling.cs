using System.Diagnostics;
using System.Net;
using P2p.WebRtc.Net;

namespace P2p.Benchmarks.Report;

/// <summary>
/// The raw-UDP ceiling: one thread blasts 1,200-byte datagrams (no protocol above UDP, no flow control)
/// from one product socket to another on 127.0.0.1. Both sockets come from the product's own
/// <see cref="UdpDatagramSocketFactory"/> with its default buffers (4 MiB SO_SNDBUF/SO_RCVBUF), so
/// sends are the product's blocking <c>SendTo</c> with a cached address and the receiver is its
/// dedicated thread doing blocking <c>ReceiveFrom</c> into one buffer. The figure is the payload
/// received per second: what one flow can carry with one core sending and one receiving.
/// </summary>
internal static class UdpCeiling
{
    public const int DatagramSize = 1200;

    /// <summary>One run: <paramref name="warmup"/> unmeasured, then payload MB/s received over <paramref name="window"/>.</summary>
    public static async Task<UdpCeilingRun> MeasureAsync(TimeSpan warmup, TimeSpan window, CancellationToken ct)
    {
        var factory = new UdpDatagramSocketFactory();
        using var receiver = factory.Bind(IPAddress.Loopback);
        using var sender = factory.Bind(IPAddress.Loopback);
        long received = 0;
        receiver.Start((datagram, _) => Volatile.Write(ref received, received + datagram.Length));
        sender.Start((_, _) => { });
        var target = receiver.LocalEndPoint.Serialize();
        var stop = false;
        long sent = 0;
        var blaster = new Thread(() =>
        {
            var payload = new byte[DatagramSize];
            payload.AsSpan().Fill(0x5A);
            while (!Volatile.Read(ref stop))
            {
                if (sender.Send(payload, target))
                {
                    Volatile.Write(ref sent, sent + 1);
                }
            }
        })
        {
            IsBackground = true,
            Name = "UDP ceiling sender",
        };
        blaster.Start();
        try
        {
            await Task.Delay(warmup, ct);
            var startBytes = Volatile.Read(ref received);
            var startSent = Volatile.Read(ref sent);
            var clock = Stopwatch.StartNew();
            await Task.Delay(window, ct);
            var bytes = Volatile.Read(ref received) - startBytes;
            var datagrams = Volatile.Read(ref sent) - startSent;
            var seconds = clock.Elapsed.TotalSeconds;
            return new UdpCeilingRun(bytes / seconds / 1e6, datagrams * (double)DatagramSize / seconds / 1e6);
        }
        finally
        {
            Volatile.Write(ref stop, true);
            blaster.Join();
        }
    }
}

/// <summary>One raw-UDP run: payload MB/s received, and MB/s the sender got accepted by the kernel (the difference was dropped at the receiver).</summary>
internal readonly record struct UdpCeilingRun(double ReceivedMBps, double SentMBps);
