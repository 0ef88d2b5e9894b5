using System.Buffers.Binary;
using System.Collections.Concurrent;
using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.Testing;
using P2p.WebRtc.Testing.Network;

namespace P2p.Benchmarks.Soak;

/// <summary>How a member ended its membership.</summary>
internal enum Departure
{
    /// <summary>Still in the group.</summary>
    None,

    /// <summary>Left gracefully (<see cref="IGroup.LeaveAsync"/>, then disposal).</summary>
    Left,

    /// <summary>Crashed: its path and its signaling connection were cut without a word, then its objects were disposed behind the cut.</summary>
    Crashed,

    /// <summary>Its join failed half-way (e.g. the signaling server restarted meanwhile): the others may have seen it come and go.</summary>
    JoinFailed,
}

/// <summary>
/// One membership of the soak (a member that leaves and comes back is a new <see cref="SoakMember"/>, with a new user
/// id): its virtual host, its signaling proxy, its group, and what it counted. Every broadcast carries the sender's
/// sequence number; the sender records per receiver the numbers the group accepted for it, the receiver the numbers
/// that arrived per sender, so losses and duplicates are exact. Once departed, the member drops its SDK objects and
/// keeps only its counts.
/// </summary>
internal sealed class SoakMember
{
    private readonly ConcurrentDictionary<string, SequenceSet> _seen = new();
    private long _nextSequence;

    public SoakMember(int slot, VirtualHost host, FaultyTcpProxy proxy)
    {
        Slot = slot;
        Host = host;
        Proxy = proxy;
    }

    /// <summary>The place in the group this member fills (slots behind a lossy link stay lossy across rejoins).</summary>
    public int Slot { get; }

    public VirtualHost Host { get; }

    /// <summary>Its own TCP proxy to the signaling server, so that a crash can reset its signaling connection.</summary>
    public FaultyTcpProxy? Proxy { get; private set; }

    public IGroup? Group { get; private set; }

    public WebSocketSignalingChannel? Signaling { get; private set; }

    /// <summary>Its transport, which remembers the connections it made.</summary>
    public TrackingConnectionFactory? Transport { get; private set; }

    public string Id { get; private set; } = "";

    /// <summary>When it joined (s since the soak started).</summary>
    public double JoinedAt { get; private set; }

    /// <summary>When its departure began (s), or <see langword="null"/> while it is in the group.</summary>
    public double? DepartedAt { get; private set; }

    public Departure Departure { get; private set; }

    public bool IsPresent => Departure == Departure.None;

    /// <summary>Broadcast sequence numbers the group accepted for delivery (<see cref="BroadcastResult.Delivered"/>), by receiver.</summary>
    public ConcurrentDictionary<string, SequenceSet> Accepted { get; } = new();

    /// <summary>Broadcast copies refused at once (the receiver was not connected).</summary>
    public long Refused;

    /// <summary>Copies received more than once.</summary>
    public long Duplicates;

    public long UnicastsAnswered;

    /// <summary>Requests that failed while both ends stayed in the group.</summary>
    public long UnicastsFailed;

    /// <summary>Requests that failed because either end departed meanwhile.</summary>
    public long UnicastsFailedDeparted;

    /// <summary>Why requests failed while both ends stayed in the group: count by error code.</summary>
    public ConcurrentDictionary<GroupErrorCode, int> FailureCodes { get; } = new();

    /// <summary>How many times its signaling channel resumed after a drop.</summary>
    public int Resumed;

    /// <summary>Member state changes seen, with the time (s since the soak started).</summary>
    public ConcurrentQueue<(double At, string Peer, PeerState State)> States { get; } = new();

    /// <summary>Members this one saw leave (removed from its view of the group), with the time.</summary>
    public ConcurrentQueue<(double At, string Peer)> Left { get; } = new();

    /// <summary>The traffic loop, stopped when the member departs or the soak ends.</summary>
    public CancellationTokenSource TrafficStop { get; } = new();

    public Task Traffic { get; set; } = Task.CompletedTask;

    public GroupOptions Options() => new()
    {
        MessageHandler = (from, data, _) =>
        {
            var sequence = BinaryPrimitives.ReadInt64LittleEndian(data.Span);
            if (!_seen.GetOrAdd(from.Id, _ => new()).Add(sequence))
            {
                Interlocked.Increment(ref Duplicates);
            }

            return ValueTask.CompletedTask;
        },
        RequestHandler = (_, data, _) => ValueTask.FromResult(data),
    };

    public void Attach(IGroup group, WebSocketSignalingChannel signaling, TrackingConnectionFactory transport, double joinedAt, Func<double> now)
    {
        Group = group;
        Signaling = signaling;
        Transport = transport;
        Id = group.LocalMember.Id;
        JoinedAt = joinedAt;
        group.MemberStateChanged += (_, e) => States.Enqueue((now(), e.Peer.Id, e.State));
        group.MemberLeft += (_, e) => Left.Enqueue((now(), e.Peer.Id));
        signaling.Reconnected += (_, _) => Interlocked.Increment(ref Resumed);
    }

    /// <summary>Records a join that failed after the server knew the member as <paramref name="userId"/>.</summary>
    public void JoinFailed(string userId, double at)
    {
        Id = userId;
        JoinedAt = at;
        Depart(Departure.JoinFailed, at);
    }

    /// <summary>Marks the departure (from now on copies for and from it are no longer owed).</summary>
    public void Depart(Departure how, double at)
    {
        Departure = how;
        DepartedAt = at;
    }

    /// <summary>Drops the SDK objects (already disposed) so that the garbage collector can take them.</summary>
    public void Detach()
    {
        Group = null;
        Signaling = null;
        Transport = null;
        Proxy = null;
        Traffic = Task.CompletedTask;
        TrafficStop.Dispose();
    }

    /// <summary>What the soak itself keeps for this member: state changes and departures seen, and sequence ranges.</summary>
    public (long Events, long Ranges) Bookkeeping() =>
        (States.Count + Left.Count, Accepted.Values.Sum(r => (long)r.RangeCount) + _seen.Values.Sum(r => (long)r.RangeCount));

    /// <summary>The distinct broadcasts from <paramref name="sender"/> that arrived here.</summary>
    public SequenceSet ReceivedFrom(string sender) => _seen.GetOrAdd(sender, _ => new());

    /// <summary>Broadcasts one sequenced message; records what the group accepted and refused.</summary>
    public async Task BroadcastAsync(IGroup group, CancellationToken cancellationToken)
    {
        var payload = new byte[64];
        var sequence = Interlocked.Increment(ref _nextSequence);
        BinaryPrimitives.WriteInt64LittleEndian(payload, sequence);
        var result = await group.BroadcastAsync(payload, cancellationToken).ConfigureAwait(false);
        foreach (var peer in result.Delivered)
        {
            Accepted.GetOrAdd(peer.Id, _ => new()).Add(sequence);
        }

        Interlocked.Add(ref Refused, result.Failed.Count);
    }

    /// <summary>One request/reply to <paramref name="to"/>.</summary>
    public async Task UnicastAsync(IGroup group, SoakMember to, CancellationToken cancellationToken)
    {
        try
        {
            await group.UnicastAsync(to.Id, new byte[] { 1, 2, 3 }, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref UnicastsAnswered);
        }
        catch (GroupException ex)
        {
            if (to.IsPresent && IsPresent)
            {
                Interlocked.Increment(ref UnicastsFailed);
                FailureCodes.AddOrUpdate(ex.Code, 1, (_, n) => n + 1);
            }
            else
            {
                Interlocked.Increment(ref UnicastsFailedDeparted);
            }
        }
        catch (OperationCanceledException)
        {
            // The soak or this member stopped.
        }
    }
}
