using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2p.Core;
using P2p.Demo;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;

// The README's "run" command: an embedded signaling server and N .NET members forming a full mesh of
// WebRTC data channels, then broadcasts and unicasts between them. Exit code 0 when everything arrived.
DemoOptions options;
try
{
    options = DemoOptions.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(DemoOptions.Usage);
    return 2;
}

using var logging = LoggerFactory.Create(b => b
    .SetMinimumLevel(options.Verbose ? LogLevel.Debug : LogLevel.Warning)
    .AddSimpleConsole(c => c.SingleLine = true)
    .AddFilter("Microsoft", LogLevel.Warning)
    .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(c => c.LogToStandardErrorThreshold = LogLevel.Trace));
using var timeout = new CancellationTokenSource(options.Timeout);
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    timeout.Cancel();
};

EmbeddedSignalingServer? server = null;
var members = new List<Member>();
try
{
    var serverUri = options.Server;
    if (serverUri is null)
    {
        server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { LoggerFactory = logging }, timeout.Token);
        serverUri = server.Uri;
        Console.WriteLine($"Signaling server (embedded): {serverUri}");
    }
    else
    {
        Console.WriteLine($"Signaling server: {serverUri}");
    }

    // 1. Members join: the first creates the group, the others join it; the SDK builds the mesh.
    var clock = Stopwatch.StartNew();
    var p2p = new P2pOptions { LoggerFactory = logging };
    var first = await Member.CreateAsync(0, serverUri, options, p2p, logging, groupId: null, timeout.Token);
    members.Add(first);
    var joined = await Task.WhenAll(Enumerable.Range(1, options.Members - 1)
        .Select(i => Member.CreateAsync(i, serverUri, options, p2p, logging, first.Group.Id, timeout.Token)));
    members.AddRange(joined);
    var joinedMs = clock.Elapsed.TotalMilliseconds;
    Console.WriteLine($"Group {first.Group.Id}: {members.Count} members joined in {joinedMs:F0} ms");

    try
    {
        await Task.WhenAll(members.Select(m => m.Group.WhenAllConnectedAsync(timeout.Token)));
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine("The full mesh did not form in time. Link states:");
        foreach (var m in members)
        {
            foreach (var peer in m.Group.Members)
            {
                Console.Error.WriteLine($"  {m.Name} -> {Member.NameOf(peer.Id, members)}: {peer.State} {peer.LastError?.Message}");
            }
        }

        return 1;
    }

    var links = members.Count * (members.Count - 1) / 2;
    Console.WriteLine($"Full mesh: {links} WebRTC links formed in {clock.Elapsed.TotalMilliseconds:F0} ms from the first join");
    Console.WriteLine();

    // 2. Round trips: every member asks every other one (unicast request → reply), median of 5.
    Console.WriteLine("Unicast round trip, median of 5 (ms); rows ask, columns answer:");
    Console.WriteLine();
    Console.WriteLine("| | " + string.Join(" | ", members.Select(m => m.Name)) + " |");
    Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---|", members.Count)));
    var unicasts = 0;
    foreach (var asker in members)
    {
        var cells = new List<string>();
        foreach (var answerer in members)
        {
            if (asker == answerer)
            {
                cells.Add("–");
                continue;
            }

            var samples = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var reply = await asker.Group.UnicastAsync(answerer.Group.LocalMember.Id, "ping"u8.ToArray(), timeout.Token);
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (!reply.Span.SequenceEqual("pong"u8))
                {
                    Console.Error.WriteLine($"{answerer.Name} answered {asker.Name} with an unexpected reply.");
                    return 1;
                }

                unicasts++;
            }

            samples.Sort();
            cells.Add($"{samples[2]:F2}");
        }

        Console.WriteLine($"| **{asker.Name}** | " + string.Join(" | ", cells) + " |");
    }

    Console.WriteLine();

    // 3. Broadcasts: every member sends N messages to everyone; every other member must get each exactly once.
    clock.Restart();
    await Task.WhenAll(members.Select(async m =>
    {
        for (var seq = 0; seq < options.Messages; seq++)
        {
            var result = await m.Group.BroadcastAsync(Member.Payload(m.Index, seq, options.MessageSize), timeout.Token);
            if (result.Failed.Count > 0)
            {
                throw new InvalidOperationException($"{m.Name}'s broadcast failed to reach {result.Failed.Count} member(s): {result.Failed[0].Error.Message}");
            }
        }
    }));
    var expected = options.Messages * (members.Count - 1);
    await Task.WhenAll(members.Select(m => m.WaitForBroadcastsAsync(expected, timeout.Token)));
    var seconds = clock.Elapsed.TotalSeconds;
    var deliveries = members.Sum(m => m.Received);
    var bad = members.Sum(m => m.Corrupt);
    Console.WriteLine($"Broadcasts: {members.Count} × {options.Messages} messages of {options.MessageSize} B → {deliveries} deliveries " +
        $"in {seconds * 1000:F0} ms ({deliveries / seconds:F0}/s, {deliveries * (double)options.MessageSize / seconds / 1e6:F1} MB/s), {bad} corrupt or duplicated");
    Console.WriteLine($"Unicasts: {unicasts} requests answered");
    if (bad > 0 || deliveries != expected * members.Count)
    {
        Console.Error.WriteLine($"Expected {expected * members.Count} intact deliveries.");
        return 1;
    }

    Console.WriteLine("OK");
    return 0;
}
catch (OperationCanceledException) when (timeout.IsCancellationRequested)
{
    Console.Error.WriteLine($"Gave up after {options.Timeout.TotalSeconds:F0} s.");
    return 3;
}
catch (Exception e) when (e is P2p.Signaling.Abstractions.SignalingException or GroupException or InvalidOperationException or System.Net.WebSockets.WebSocketException)
{
    Console.Error.WriteLine($"Failed: {e.Message}");
    return 1;
}
finally
{
    foreach (var m in members)
    {
        await m.DisposeAsync();
    }

    if (server is not null)
    {
        await server.DisposeAsync();
    }
}

/// <summary>One member of the demo group: its signaling connection, WebRTC transport and group.</summary>
internal sealed class Member : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(int, int), bool> _seen = new();
    private readonly int _size;
    private TaskCompletionSource _enough = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _expected = int.MaxValue;
    private int _received;
    private int _corrupt;

    private Member(int index, int size)
    {
        Index = index;
        _size = size;
    }

    public int Index { get; }

    public string Name => $"m{Index}";

    public IGroup Group { get; private set; } = null!;

    public int Received => Volatile.Read(ref _received);

    public int Corrupt => Volatile.Read(ref _corrupt);

    public static async Task<Member> CreateAsync(int index, Uri server, DemoOptions options, P2pOptions p2p, ILoggerFactory logging, string? groupId, CancellationToken ct)
    {
        var member = new Member(index, options.MessageSize);
        var transport = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
        {
            AddressFilter = options.AllInterfaces ? null : a => a.Equals(IPAddress.Loopback),
            LoggerFactory = logging,
        });
        var groupOptions = new GroupOptions
        {
            MessageHandler = (_, data, _) =>
            {
                member.OnBroadcast(data.Span);
                return ValueTask.CompletedTask;
            },
            RequestHandler = (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>("pong"u8.ToArray()),
        };
        var signaling = await WebSocketSignalingChannel.ConnectAsync(server, cancellationToken: ct);
        member.Group = groupId is null
            ? await P2p.Core.Group.CreateAsync(signaling, transport, GroupCapability.All, groupOptions, p2p, ct)
            : await P2p.Core.Group.JoinAsync(signaling, transport, groupId, groupOptions, p2p, ct);
        return member;
    }

    /// <summary>Broadcast <paramref name="seq"/> of member <paramref name="sender"/>: sender, sequence number, then a pattern.</summary>
    public static byte[] Payload(int sender, int seq, int size)
    {
        var data = new byte[Math.Max(size, 8)];
        BinaryPrimitives.WriteInt32BigEndian(data, sender);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), seq);
        for (var i = 8; i < data.Length; i++)
        {
            data[i] = (byte)(sender + seq + i);
        }

        return data;
    }

    public static string NameOf(string userId, IReadOnlyList<Member> members) =>
        members.FirstOrDefault(m => m.Group.LocalMember.Id == userId)?.Name ?? userId[..8];

    public Task WaitForBroadcastsAsync(int expected, CancellationToken ct)
    {
        Volatile.Write(ref _expected, expected);
        if (Received >= expected)
        {
            _enough.TrySetResult();
        }

        return _enough.Task.WaitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (Group is not null)
        {
            await Group.DisposeAsync();
        }
    }

    private void OnBroadcast(ReadOnlySpan<byte> data)
    {
        var sender = BinaryPrimitives.ReadInt32BigEndian(data);
        var seq = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
        if (!_seen.TryAdd((sender, seq), true) || !data.SequenceEqual(Payload(sender, seq, _size)))
        {
            Interlocked.Increment(ref _corrupt);
        }

        if (Interlocked.Increment(ref _received) >= Volatile.Read(ref _expected))
        {
            _enough.TrySetResult();
        }
    }
}
