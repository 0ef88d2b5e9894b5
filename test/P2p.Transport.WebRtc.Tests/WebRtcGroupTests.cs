using P2p.Signaling.Server;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using P2p.Core;
using P2p.Testing;
using P2p.Signaling.WebSockets;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>P2p.Core groups over the real WebRTC transport and the real signaling server, on 127.0.0.1 (a graceful leave included).</summary>
[TestFixture]
public class WebRtcGroupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private Microsoft.Extensions.Logging.ILoggerFactory _logging = null!;

    private P2pOptions Service => new() { LoggerFactory = _logging };

    [OneTimeSetUp]
    public void StartLogging() => _logging = P2p.Testing.TestLog.ToTestOutput(Microsoft.Extensions.Logging.LogLevel.Information);

    [OneTimeTearDown]
    public void StopLogging() => _logging.Dispose();

    private WebRtcPeerConnectionFactory Transport() =>
        new(new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback), LoggerFactory = _logging });

    [Test]
    [CancelAfter(120_000)]
    public async Task Eight_members_form_a_full_mesh_broadcasts_reach_every_other_member_once_and_unicasts_are_answered(CancellationToken ct)
    {
        const int count = 8;
        await using var server = await SignalingServer.StartAsync();
        var received = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        var deliveries = 0;
        var allDelivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var groups = new List<IGroup>();
        try
        {
            GroupOptions Options(int index) => new()
            {
                MessageHandler = (from, data, _) =>
                {
                    received.GetOrAdd(groups[index].LocalMember.Id, _ => []).Add(from.Id + ":" + Encoding.UTF8.GetString(data.Span));
                    if (Interlocked.Increment(ref deliveries) == count * (count - 1))
                    {
                        allDelivered.TrySetResult();
                    }

                    return ValueTask.CompletedTask;
                },
                RequestHandler = (from, data, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes($"reply to {Encoding.UTF8.GetString(data.Span)}")),
            };

            var owner = await Group.CreateAsync(await Connect(server, ct), Transport(), GroupCapability.All, Options(0), Service, ct);
            groups.Add(owner);
            for (var i = 1; i < count; i++)
            {
                groups.Add(await Group.JoinAsync(await Connect(server, ct), Transport(), owner.Id, Options(i), Service, ct));
            }

            using var connected = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connected.CancelAfter(Timeout);
            await Task.WhenAll(groups.Select(g => g.WhenAllConnectedAsync(connected.Token)));
            Assert.That(groups.Select(g => g.Members.Count), Is.All.EqualTo(count - 1), "full mesh");

            foreach (var group in groups)
            {
                var result = await group.BroadcastAsync(Encoding.UTF8.GetBytes("hello"), ct);
                Assert.That(result.Failed, Is.Empty);
                Assert.That(result.Delivered, Has.Count.EqualTo(count - 1));
            }

            await allDelivered.Task.WaitAsync(Timeout, ct);
            foreach (var group in groups)
            {
                var got = received[group.LocalMember.Id].OrderBy(s => s, StringComparer.Ordinal).ToArray();
                var expected = groups.Where(g => g != group).Select(g => g.LocalMember.Id + ":hello").OrderBy(s => s, StringComparer.Ordinal).ToArray();
                Assert.That(got, Is.EqualTo(expected), $"member {group.LocalMember.Id} got every other member's broadcast exactly once");
            }

            var reply = await groups[3].UnicastAsync(groups[6].LocalMember.Id, Encoding.UTF8.GetBytes("question"), ct);
            Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("reply to question"));
        }
        finally
        {
            foreach (var group in groups)
            {
                await group.DisposeAsync();
            }
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_message_larger_than_the_maximum_message_size_is_split_and_crosses_intact_and_a_leaver_is_reported(CancellationToken ct)
    {
        await using var server = await SignalingServer.StartAsync();
        var payload = RandomNumberGenerator.GetBytes(3 << 20); // 3 MiB: split by the 256 KiB max-message-size
        var got = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = await Group.CreateAsync(await Connect(server, ct), Transport(), GroupCapability.All, new GroupOptions
        {
            RequestHandler = (_, data, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(SHA256.HashData(data.Span)),
        }, cancellationToken: ct);
        var b = await Group.JoinAsync(await Connect(server, ct), Transport(), a.Id, new GroupOptions
        {
            MessageHandler = (_, data, _) =>
            {
                got.TrySetResult(data.ToArray());
                return ValueTask.CompletedTask;
            },
        }, cancellationToken: ct);
        using var connected = CancellationTokenSource.CreateLinkedTokenSource(ct);
        connected.CancelAfter(Timeout);
        await Task.WhenAll(a.WhenAllConnectedAsync(connected.Token), b.WhenAllConnectedAsync(connected.Token));

        await a.BroadcastAsync(payload, ct);
        Assert.That(await got.Task.WaitAsync(Timeout, ct), Is.EqualTo(payload));
        var hash = await b.UnicastAsync(a.LocalMember.Id, payload, ct);
        Assert.That(hash.ToArray(), Is.EqualTo(SHA256.HashData(payload)));

        var left = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.MemberLeft += (_, e) => left.TrySetResult(e.Peer.Id);
        var leaver = b.LocalMember.Id;
        await b.DisposeAsync();
        Assert.That(await left.Task.WaitAsync(Timeout, ct), Is.EqualTo(leaver));
        Assert.That(a.Members, Is.Empty);
    }

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(60_000)]
    public async Task A_request_handler_runs_on_the_thread_pool_or_inline_on_the_network_thread_when_asked(bool inline, CancellationToken ct)
    {
        await using var server = await SignalingServer.StartAsync();
        var handlerThread = new TaskCompletionSource<(string? Name, bool Pool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = await Group.CreateAsync(await Connect(server, ct), Transport(), GroupCapability.All, new GroupOptions
        {
            RunRequestHandlerInline = inline,
            RequestHandler = (_, data, _) =>
            {
                handlerThread.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
                return ValueTask.FromResult(data);
            },
        }, cancellationToken: ct);
        await using var b = await Group.JoinAsync(await Connect(server, ct), Transport(), a.Id, cancellationToken: ct);
        using var connected = CancellationTokenSource.CreateLinkedTokenSource(ct);
        connected.CancelAfter(Timeout);
        await Task.WhenAll(a.WhenAllConnectedAsync(connected.Token), b.WhenAllConnectedAsync(connected.Token));

        var reply = await b.UnicastAsync(a.LocalMember.Id, new byte[] { 1, 2, 3 }, ct);

        Assert.That(reply.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        var (name, pool) = await handlerThread.Task.WaitAsync(Timeout, ct);
        if (inline)
        {
            Assert.That(name, Does.StartWith("P2p UDP"), "the handler should run on the connection's receive thread");
        }
        else
        {
            Assert.That(pool, Is.True, $"the handler ran on {name}, not the thread pool");
        }
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Every_broadcast_a_member_sent_before_leaving_reaches_the_members_that_stay(CancellationToken ct)
    {
        const int messages = 300;
        const int size = 32 * 1024; // 9.4 MiB in all: the leaver's send buffers are full when it leaves
        await using var server = await SignalingServer.StartAsync();
        var counts = new int[2];
        var complete = new[] { new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        GroupOptions Counting(int index) => new()
        {
            MessageHandler = (_, data, _) =>
            {
                if (data.Length == size && Interlocked.Increment(ref counts[index]) == messages)
                {
                    complete[index].TrySetResult();
                }

                return ValueTask.CompletedTask;
            },
        };

        await using var a = await Group.CreateAsync(await Connect(server, ct), Transport(), GroupCapability.All, Counting(0), Service, ct);
        await using var b = await Group.JoinAsync(await Connect(server, ct), Transport(), a.Id, Counting(1), Service, ct);
        var leaver = await Group.JoinAsync(await Connect(server, ct), Transport(), a.Id, null, Service, ct);
        using (var connected = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connected.CancelAfter(Timeout);
            await Task.WhenAll(a.WhenAllConnectedAsync(connected.Token), b.WhenAllConnectedAsync(connected.Token), leaver.WhenAllConnectedAsync(connected.Token));
        }

        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.MemberLeft += (_, e) => left.TrySetResult();
        var payload = new byte[size];
        for (var i = 0; i < messages; i++)
        {
            var result = await leaver.BroadcastAsync(payload, ct);
            Assert.That(result.Failed, Is.Empty, $"broadcast {i} was accepted for every member");
        }

        await leaver.LeaveAsync(ct);
        await leaver.DisposeAsync();

        await left.Task.WaitAsync(Timeout, ct);
        try
        {
            await Task.WhenAll(complete.Select(c => c.Task)).WaitAsync(Timeout, ct);
        }
        catch (TimeoutException)
        {
            // reported below, with the counts
        }

        Assert.That(counts, Is.EqualTo(new[] { messages, messages }), "broadcasts received by each member that stayed");
    }

    private static async Task<WebSocketSignalingChannel> Connect(EmbeddedSignalingServer server, CancellationToken ct) =>
        await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct);
}
