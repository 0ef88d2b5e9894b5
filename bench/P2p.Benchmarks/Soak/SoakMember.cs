using System.Collections.Concurrent;
using System.Buffers.Binary;
using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.WebRtc.Testing.Network;

namespace P2p.Benchmarks.Soak;

/// <summary>
/// One member of the soak: its virtual host, its group, and what it counted. Every broadcast carries the sender's
/// sequence number; receivers keep the set of numbers seen per sender, so losses and duplicates are exact.
/// </summary>
internal sealed class SoakMember
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<long, byte>> _seen = new();
    private long _nextSequence;

    public SoakMember(VirtualHost host) => Host = host;

    public VirtualHost Host { get; }

    public IGroup Group { get; private set; } = null!;

    public WebSocketSignalingChannel Signaling { get; private set; } = null!;

    public string Id => Group.LocalMember.Id;

    /// <summary>Broadcast copies the group accepted for delivery (one per receiving member), by receiver.</summary>
    public ConcurrentDictionary<string, long> Accepted { get; } = new();

    /// <summary>Broadcast copies refused at once (the receiver was not connected), with the count per reason.</summary>
    public long Refused;

    /// <summary>Copies received more than once.</summary>
    public long Duplicates;

    public long UnicastsAnswered;

    /// <summary>How many times its signaling channel resumed after a drop.</summary>
    public int Resumed;

    public long UnicastsFailed;

    /// <summary>Member state changes seen, with the time (s since the soak started).</summary>
    public ConcurrentQueue<(double At, string Peer, PeerState State)> States { get; } = new();

    public ConcurrentQueue<string> Left { get; } = new();

    public GroupOptions Options() => new()
    {
        MessageHandler = (from, data, _) =>
        {
            var sequence = BinaryPrimitives.ReadInt64LittleEndian(data.Span);
            if (!_seen.GetOrAdd(from.Id, _ => new()).TryAdd(sequence, 0))
            {
                Interlocked.Increment(ref Duplicates);
            }

            return ValueTask.CompletedTask;
        },
        RequestHandler = (_, data, _) => ValueTask.FromResult(data),
    };

    public void Attach(IGroup group, WebSocketSignalingChannel signaling, Func<double> now)
    {
        Group = group;
        Signaling = signaling;
        group.MemberStateChanged += (_, e) => States.Enqueue((now(), e.Peer.Id, e.State));
        group.MemberLeft += (_, e) => Left.Enqueue(e.Peer.Id);
        signaling.Reconnected += (_, _) => Interlocked.Increment(ref Resumed);
    }

    /// <summary>How many distinct broadcasts from <paramref name="sender"/> arrived here.</summary>
    public long ReceivedFrom(string sender) => _seen.TryGetValue(sender, out var set) ? set.Count : 0;

    /// <summary>Broadcasts one sequenced message; counts what the group accepted and refused.</summary>
    public async Task BroadcastAsync(CancellationToken cancellationToken)
    {
        var payload = new byte[64];
        BinaryPrimitives.WriteInt64LittleEndian(payload, Interlocked.Increment(ref _nextSequence));
        var result = await Group.BroadcastAsync(payload, cancellationToken).ConfigureAwait(false);
        foreach (var peer in result.Delivered)
        {
            Accepted.AddOrUpdate(peer.Id, 1, (_, n) => n + 1);
        }

        Interlocked.Add(ref Refused, result.Failed.Count);
    }

    /// <summary>One request/reply to <paramref name="to"/>.</summary>
    public async Task UnicastAsync(string to, CancellationToken cancellationToken)
    {
        try
        {
            await Group.UnicastAsync(to, new byte[] { 1, 2, 3 }, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref UnicastsAnswered);
        }
        catch (GroupException)
        {
            Interlocked.Increment(ref UnicastsFailed);
        }
    }
}
