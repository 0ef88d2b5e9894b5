using System.Diagnostics;
using Microsoft.Extensions.Logging;
using P2p.Benchmarks.Common;
using P2p.Signaling.Server;
using P2p.Core;
using P2p.Core.Tests.Support;
using P2p.Signaling.WebSockets;

namespace P2p.Benchmarks.Core;

/// <summary>
/// P2p.Core's mesh on the in-memory transport with the real signaling server (Kestrel, loopback) and
/// WebSocket signaling clients: time to a full mesh, and broadcast fan-out. Measures the SDK's own
/// cost (signaling round trips, mesh manager, framing, dispatch), not a network.
/// </summary>
public sealed class MeshInMemoryScenario : IScenario
{
    public string Name => "mesh-inmemory";

    public string Description => "P2p.Core mesh, in-memory transport + real signaling: full-mesh time, broadcast fan-out (--members 12 --runs 5 --messages 2000 --size 64)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var members = a.Int("--members", 12);
        var runs = a.Int("--runs", 5);
        var messages = a.Int("--messages", 2000);
        var size = a.Int("--size", 64);
        await using var server = await EmbeddedSignalingServer.StartAsync(cancellationToken: cancellationToken);

        var concurrentMs = new List<double>();
        var lateMs = new List<double>();
        var oneSenderRates = new List<double>();
        var allSendersRates = new List<double>();
        for (var run = 0; run <= runs; run++)
        {
            var network = new InMemoryNetwork { MaxMessageSize = 256 * 1024, QueueCapacity = 256 };
            var counters = new Counters();
            var peers = new List<Peer>();
            try
            {
                // 1. Everyone but one joins at once: from the first join call to a full mesh.
                var owner = await Peer.ConnectAsync(server.Uri, network, counters, cancellationToken);
                peers.Add(owner);
                await owner.CreateAsync(cancellationToken);
                var clock = Stopwatch.StartNew();
                var joiners = await Task.WhenAll(Enumerable.Range(0, members - 2).Select(async _ =>
                {
                    var p = await Peer.ConnectAsync(server.Uri, network, counters, cancellationToken);
                    await p.JoinAsync(owner.Group.Id, cancellationToken);
                    return p;
                }));
                peers.AddRange(joiners);
                await Task.WhenAll(peers.Select(p => p.WaitForMeshAsync(members - 2, cancellationToken)));
                var concurrent = clock.Elapsed.TotalMilliseconds;

                // 2. The last member joins the formed mesh: from its join call to a full mesh.
                var last = await Peer.ConnectAsync(server.Uri, network, counters, cancellationToken);
                clock.Restart();
                await last.JoinAsync(owner.Group.Id, cancellationToken);
                peers.Add(last);
                await Task.WhenAll(peers.Select(p => p.WaitForMeshAsync(members - 1, cancellationToken)));
                var late = clock.Elapsed.TotalMilliseconds;

                // 3. One member broadcasts: deliveries per second to the other members' handlers.
                var payload = new byte[size];
                var expected = (long)messages * (members - 1);
                counters.Reset(expected);
                clock.Restart();
                for (var i = 0; i < messages; i++)
                {
                    await owner.Group.BroadcastAsync(payload, cancellationToken);
                }

                await counters.Done.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
                var oneSender = expected / clock.Elapsed.TotalSeconds;

                // 4. Everyone broadcasts at once.
                expected = (long)messages * members * (members - 1);
                counters.Reset(expected);
                clock.Restart();
                await Task.WhenAll(peers.Select(async p =>
                {
                    for (var i = 0; i < messages; i++)
                    {
                        await p.Group.BroadcastAsync(payload, cancellationToken);
                    }
                }));
                await counters.Done.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
                var allSenders = expected / clock.Elapsed.TotalSeconds;

                if (run > 0)
                {
                    concurrentMs.Add(concurrent);
                    lateMs.Add(late);
                    oneSenderRates.Add(oneSender);
                    allSendersRates.Add(allSenders);
                }
            }
            finally
            {
                await Task.WhenAll(peers.Select(p => p.DisposeAsync().AsTask()));
            }
        }

        Console.WriteLine($"P2p.Core mesh, {members} members, in-memory transport (256 KiB max message), real signaling server on loopback; median of {runs} runs after one warm-up");
        Console.WriteLine();
        Console.WriteLine("| measurement | median | spread |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine(Row($"{members - 1} members join at once → full mesh (ms)", concurrentMs, "F1"));
        Console.WriteLine(Row($"member {members} joins the formed mesh → full mesh (ms)", lateMs, "F1"));
        Console.WriteLine(Row($"1 sender fan-out, {size} B broadcasts (deliveries/s)", oneSenderRates, "F0"));
        Console.WriteLine(Row($"{members} senders at once, {size} B broadcasts (deliveries/s)", allSendersRates, "F0"));
        return 0;
    }

    private static string Row(string name, List<double> samples, string format) =>
        $"| {name} | {Stats.Median(samples).ToString(format, System.Globalization.CultureInfo.InvariantCulture)} | {Stats.Spread(samples, format)} |";

    private sealed class Counters
    {
        private long _left;
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Done => _done.Task;

        public void Reset(long expected)
        {
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _left, expected);
        }

        public void Delivered()
        {
            if (Interlocked.Decrement(ref _left) == 0)
            {
                _done.TrySetResult();
            }
        }
    }

    private sealed class Peer : IAsyncDisposable
    {
        private readonly P2pService _service;
        private readonly Counters _counters;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Peer(P2pService service, Counters counters)
        {
            _service = service;
            _counters = counters;
        }

        public IGroup Group { get; private set; } = null!;

        public static async Task<Peer> ConnectAsync(Uri uri, InMemoryNetwork network, Counters counters, CancellationToken cancellationToken)
        {
            var signaling = await WebSocketSignalingChannel.ConnectAsync(uri, cancellationToken: cancellationToken);
            var peer = new Peer(new P2pService(signaling, network), counters);
            await peer._service.JoinAsync(cancellationToken);
            return peer;
        }

        public async Task CreateAsync(CancellationToken cancellationToken) =>
            Watch(await _service.CreateGroupAsync(GroupCapability.All, Options(), cancellationToken));

        public async Task JoinAsync(string groupId, CancellationToken cancellationToken) =>
            Watch(await _service.JoinGroupAsync(groupId, Options(), cancellationToken));

        public async Task WaitForMeshAsync(int others, CancellationToken cancellationToken)
        {
            while (true)
            {
                var changed = Volatile.Read(ref _changed).Task;
                if (Group.Members.Count == others && Group.Members.All(m => m.State == PeerState.Connected))
                {
                    return;
                }

                await changed.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
        }

        public ValueTask DisposeAsync() => _service.DisposeAsync();

        private GroupOptions Options() => new()
        {
            MessageHandler = (from, data, ct) =>
            {
                _counters.Delivered();
                return ValueTask.CompletedTask;
            },
        };

        private void Watch(IGroup group)
        {
            Group = group;
            group.MemberJoined += (_, _) => Pulse();
            group.MemberStateChanged += (_, _) => Pulse();
            Pulse();
        }

        private void Pulse() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
