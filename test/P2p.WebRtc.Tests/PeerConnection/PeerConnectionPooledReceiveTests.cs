using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using P2p.WebRtc.DataChannels;

namespace P2p.WebRtc.Tests.PeerConnection;

/// <summary>
/// Receiving through <see cref="RtcDataChannel.PooledMessageReceived"/> over the real stack: the data arrives intact,
/// disposed buffers are reused, and a lease holds the receive window until it is disposed.
/// </summary>
public class PeerConnectionPooledReceiveTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Leases_carry_every_message_intact_and_their_buffers_are_reused_once_disposed()
    {
        await using var pair = new PeerPair();
        var (a, b) = await OpenAsync(pair);
        var leases = Channel.CreateUnbounded<RtcDataChannelMessageLease>();
        b.PooledMessageReceived += (_, m) => leases.Writer.TryWrite(m);

        int[] sizes = [1, 31, 1000, 1200, 5000, 64 * 1024];
        var arrays = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        const int Rounds = 20;
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var size in sizes)
            {
                var sent = RandomNumberGenerator.GetBytes(size);
                a.Send(sent);
                var lease = await leases.Reader.ReadAsync().AsTask().WaitAsync(PeerPair.Timeout);
                Assert.That(lease.Data.ToArray(), Is.EqualTo(sent), $"round {round}, {size} bytes");
                Assert.That(MemoryMarshal.TryGetArray(lease.Data, out var segment), Is.True);
                arrays.Add(segment.Array!);
                lease.Dispose();
            }
        }

        // One message at a time, each lease disposed before the next: a handful of pooled buffers serve them all.
        Assert.That(arrays, Has.Count.LessThan(sizes.Length * 4), $"{Rounds * sizes.Length} messages");
        Assert.That(pair.Answerer.SctpMetrics!.ReceiveHeldBytes, Is.Zero);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_lease_kept_holds_its_bytes_against_the_receive_window_until_disposed()
    {
        await using var pair = new PeerPair();
        var (a, b) = await OpenAsync(pair);
        var leases = Channel.CreateUnbounded<RtcDataChannelMessageLease>();
        b.PooledMessageReceived += (_, m) => leases.Writer.TryWrite(m);

        const int Count = 10;
        const int Size = 3000;
        for (var i = 0; i < Count; i++)
        {
            a.Send(new byte[Size]);
        }

        var kept = new List<RtcDataChannelMessageLease>();
        for (var i = 0; i < Count; i++)
        {
            kept.Add(await leases.Reader.ReadAsync().AsTask().WaitAsync(PeerPair.Timeout));
        }

        Assert.That(pair.Answerer.SctpMetrics!.ReceiveHeldBytes, Is.EqualTo(Count * Size), "every kept lease counts");
        kept[0].Dispose();
        kept[0].Dispose();
        Assert.That(pair.Answerer.SctpMetrics!.ReceiveHeldBytes, Is.EqualTo((Count - 1) * Size), "a second disposal gives nothing back");
        foreach (var lease in kept)
        {
            lease.Dispose();
        }

        Assert.That(pair.Answerer.SctpMetrics!.ReceiveHeldBytes, Is.Zero);

        // The array API is unchanged beside it: a later array handler gets its own copy while the lease is disposed.
        var arrays = Channel.CreateUnbounded<RtcDataChannelMessageEventArgs>();
        b.MessageReceived += (_, e) => arrays.Writer.TryWrite(e);
        a.Send("both");
        var array = await arrays.Reader.ReadAsync().AsTask().WaitAsync(PeerPair.Timeout);
        var leased = await leases.Reader.ReadAsync().AsTask().WaitAsync(PeerPair.Timeout);
        leased.Dispose();
        Assert.That(array.Text, Is.EqualTo("both"));
    }

    private static async Task<(RtcDataChannel A, RtcDataChannel B)> OpenAsync(PeerPair pair)
    {
        var a = pair.Offerer.CreateDataChannel("pooled", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        var b = pair.Answerer.CreateDataChannel("pooled", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        await pair.ConnectAsync();
        await Task.WhenAll(PeerPair.WaitOpenAsync(a), PeerPair.WaitOpenAsync(b));
        return (a, b);
    }
}
