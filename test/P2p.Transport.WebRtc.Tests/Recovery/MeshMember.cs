using System.Collections.Concurrent;
using System.Diagnostics;
using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.WebRtc.Testing.Network;

namespace P2p.Transport.WebRtc.Tests.Recovery;

/// <summary>
/// One member of a <see cref="VirtualMesh"/>: its host on the virtual network, its group, and a timeline of what it
/// saw (member states, joins and leaves, messages), stamped with the mesh's stopwatch.
/// </summary>
internal sealed class MeshMember
{
    private readonly Stopwatch _clock;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;

    public MeshMember(VirtualHost? host, Stopwatch clock)
    {
        Host = host;
        _clock = clock;
    }

    /// <summary>Its host on the virtual network; <see langword="null"/> for a member on the machine's loopback.</summary>
    public VirtualHost? Host { get; }

    /// <summary>Its host on the virtual network (for a test that cuts or moves it).</summary>
    public VirtualHost VirtualHost => Host ?? throw new InvalidOperationException("A loopback member has no virtual host.");

    public IGroup Group { get; private set; } = null!;

    public WebSocketSignalingChannel Signaling { get; private set; } = null!;

    public string Id => Group.LocalMember.Id;

    /// <summary>(time, member, state) for every state change this member saw.</summary>
    public ConcurrentQueue<(TimeSpan At, string Peer, PeerState State)> States { get; } = new();

    /// <summary>(time, member) for every member this member saw leave.</summary>
    public ConcurrentQueue<(TimeSpan At, string Peer)> Left { get; } = new();

    /// <summary>Broadcast payloads received, as "from:text".</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>When its signaling channel started reconnecting, and when it was back.</summary>
    public ConcurrentQueue<(TimeSpan At, bool Back)> SignalingEvents { get; } = new();

    public GroupOptions Options() => new()
    {
        MessageHandler = (from, data, _) =>
        {
            Received.Enqueue(from.Id + ":" + System.Text.Encoding.UTF8.GetString(data.Span));
            Pulse();
            return ValueTask.CompletedTask;
        },
        RequestHandler = (from, data, _) =>
        {
            Interlocked.Increment(ref _requests);
            return ValueTask.FromResult(data);
        },
    };

    /// <summary>How many requests this member answered.</summary>
    public int RequestsAnswered => Volatile.Read(ref _requests);

    public void Attach(IGroup group, WebSocketSignalingChannel signaling)
    {
        Group = group;
        Signaling = signaling;
        group.MemberStateChanged += (_, e) =>
        {
            States.Enqueue((_clock.Elapsed, e.Peer.Id, e.State));
            Pulse();
        };
        signaling.Reconnecting += (_, _) =>
        {
            SignalingEvents.Enqueue((_clock.Elapsed, false));
            Pulse();
        };
        signaling.Reconnected += (_, _) =>
        {
            SignalingEvents.Enqueue((_clock.Elapsed, true));
            Pulse();
        };
        group.MemberLeft += (_, e) =>
        {
            Left.Enqueue((_clock.Elapsed, e.Peer.Id));
            Pulse();
        };
    }

    /// <summary>When this member first saw <paramref name="peer"/> in <paramref name="state"/> at or after <paramref name="since"/>.</summary>
    public async Task<TimeSpan> WaitForStateAsync(string peer, PeerState state, TimeSpan since, TimeSpan timeout, CancellationToken cancellationToken)
    {
        return await UntilAsync(
            () => States.Where(s => s.Peer == peer && s.State == state && s.At >= since).Select(s => (TimeSpan?)s.At).FirstOrDefault(),
            $"{Id[..6]} to see {peer[..6]} {state}",
            timeout,
            cancellationToken);
    }

    public async Task<T> UntilAsync<T>(Func<T?> probe, string what, TimeSpan timeout, CancellationToken cancellationToken)
        where T : struct
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (probe() is { } value)
            {
                return value;
            }

            try
            {
                await changed.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Assert.Fail($"Timed out after {timeout} waiting for {what}. States seen: {string.Join(", ", States.Select(s => $"{s.At.TotalSeconds:0.00}s {s.Peer[..6]} {s.State}"))}");
            }
        }
    }

    public void Pulse() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
