using P2p.WebRtc.Sctp;

namespace P2p.WebRtc.Tests.Support;

/// <summary>Impairments of one direction of a <see cref="SctpSimulation"/> network.</summary>
public sealed record SimulatedLink
{
    /// <summary>Independent loss probability per packet.</summary>
    public double Loss { get; init; }

    /// <summary>Probability that a packet is delivered twice.</summary>
    public double Duplicate { get; init; }

    /// <summary>Probability that a packet is delayed by up to <see cref="ReorderDelay"/> extra (so later ones overtake it).</summary>
    public double Reorder { get; init; }

    /// <summary>Extra delay of a reordered packet (uniform in 0..this).</summary>
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Burst loss: probability per packet that a loss burst starts.</summary>
    public double BurstEnter { get; init; }

    /// <summary>Mean length of a loss burst (exponentially distributed).</summary>
    public TimeSpan BurstDuration { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Loss probability while in the bad state.</summary>
    public double BurstLoss { get; init; } = 0.8;

    /// <summary>One-way propagation delay.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Bottleneck rate in bytes per second (0: unlimited).</summary>
    public double BytesPerSecond { get; init; }

    /// <summary>Longest queueing delay at the bottleneck before tail drop.</summary>
    public TimeSpan MaxQueueDelay { get; init; } = TimeSpan.FromMilliseconds(50);
}

/// <summary>
/// Two <see cref="SctpAssociation"/>s connected by a simulated network under a virtual clock: every
/// step delivers the next due packet or fires the next due timer, so loss, reordering and timer
/// behaviour are deterministic for a given seed and a run of minutes of virtual time takes
/// milliseconds.
/// </summary>
public sealed class SctpSimulation
{
    private readonly PriorityQueue<(byte[] Packet, bool ToB), (TimeSpan At, long Seq)> _wire = new();
    private readonly Random _random;
    private readonly byte[] _buffer = new byte[65536];
    private readonly Direction _ab;
    private readonly Direction _ba;
    private long _seq;

    public SctpSimulation(SctpOptions? optionsA = null, SctpOptions? optionsB = null, SimulatedLink? aToB = null, SimulatedLink? bToA = null, int seed = 1)
    {
        _random = new Random(seed);
        A = new SctpAssociation(optionsA, random: new Random(seed * 31 + 1));
        B = new SctpAssociation(optionsB, random: new Random(seed * 31 + 2));
        _ab = new Direction(aToB ?? new SimulatedLink());
        _ba = new Direction(bToA ?? aToB ?? new SimulatedLink());
    }

    public SctpAssociation A { get; }

    public SctpAssociation B { get; }

    /// <summary>The virtual time.</summary>
    public TimeSpan Now { get; private set; }

    public List<SctpEvent> EventsA { get; } = [];

    public List<SctpEvent> EventsB { get; } = [];

    /// <summary>Called for every event (true = from A), after it is recorded.</summary>
    public Action<bool, SctpEvent>? OnEvent { get; set; }

    /// <summary>Optionally rewrites or drops (null) each packet before the network sees it (true = from A).</summary>
    public Func<bool, byte[], byte[]?>? Tamper { get; set; }

    /// <summary>Every packet A sent, in order, as it left A (for replay tests).</summary>
    public List<byte[]> SentByA { get; } = [];

    public long PacketsDeliveredToA { get; private set; }

    public long PacketsDeliveredToB { get; private set; }

    public long Steps { get; private set; }

    /// <summary>Both sides send INIT at once (as WebRTC peers do) and the handshake runs.</summary>
    public void ConnectBoth(TimeSpan? limit = null)
    {
        A.Connect(Now);
        B.Connect(Now);
        if (!RunUntil(() => A.State == SctpAssociationState.Established && B.State == SctpAssociationState.Established, limit ?? TimeSpan.FromMinutes(2)))
        {
            throw new InvalidOperationException($"not connected: A {A.State}, B {B.State}");
        }
    }

    /// <summary>
    /// Runs until <paramref name="condition"/> holds (true), or until the virtual time limit passes or
    /// nothing is left to happen — no packet in flight and no timer running — (false).
    /// </summary>
    public bool RunUntil(Func<bool> condition, TimeSpan limit, long maxSteps = 50_000_000)
    {
        var end = Now + limit;
        while (true)
        {
            Pump();
            if (condition())
            {
                return true;
            }

            var next = TimeSpan.MaxValue;
            if (_wire.TryPeek(out _, out var head))
            {
                next = head.At;
            }

            if (A.NextTimeout is { } ta && ta < next)
            {
                next = ta;
            }

            if (B.NextTimeout is { } tb && tb < next)
            {
                next = tb;
            }

            if (next == TimeSpan.MaxValue || next > end || ++Steps > maxSteps)
            {
                return false;
            }

            if (next > Now)
            {
                Now = next;
            }

            while (_wire.TryPeek(out var item, out var at) && at.At <= Now)
            {
                _wire.Dequeue();
                if (item.ToB)
                {
                    PacketsDeliveredToB++;
                    B.HandlePacket(item.Packet, Now);
                }
                else
                {
                    PacketsDeliveredToA++;
                    A.HandlePacket(item.Packet, Now);
                }

                Pump();
            }

            A.HandleTimeout(Now);
            B.HandleTimeout(Now);
        }
    }

    /// <summary>Advances the virtual clock by <paramref name="duration"/>, processing everything on the way.</summary>
    public void RunFor(TimeSpan duration)
    {
        var end = Now + duration;
        RunUntil(() => false, duration);
        if (Now < end)
        {
            Now = end;
            A.HandleTimeout(Now);
            B.HandleTimeout(Now);
            Pump();
        }
    }

    /// <summary>Delivers a raw packet to A or B now (garbage, replays).</summary>
    public void Inject(bool toB, byte[] packet)
    {
        if (toB)
        {
            B.HandlePacket(packet, Now);
        }
        else
        {
            A.HandlePacket(packet, Now);
        }

        Pump();
    }

    /// <summary>Moves every packet both sides want to send onto the wire and collects events.</summary>
    public void Pump()
    {
        bool again;
        do
        {
            again = false;
            int n;
            while ((n = A.BuildPacket(_buffer, Now)) > 0)
            {
                var p = _buffer.AsSpan(0, n).ToArray();
                SentByA.Add(p);
                Transmit(true, p);
                again = true;
            }

            while ((n = B.BuildPacket(_buffer, Now)) > 0)
            {
                Transmit(false, _buffer.AsSpan(0, n).ToArray());
                again = true;
            }

            while (A.TryDequeueEvent(out var e))
            {
                EventsA.Add(e);
                OnEvent?.Invoke(true, e);
                again = true;
            }

            while (B.TryDequeueEvent(out var e))
            {
                EventsB.Add(e);
                OnEvent?.Invoke(false, e);
                again = true;
            }
        }
        while (again);
    }

    private void Transmit(bool fromA, byte[] packet)
    {
        if (Tamper is not null)
        {
            var p = Tamper(fromA, packet);
            if (p is null)
            {
                return;
            }

            packet = p;
        }

        var d = fromA ? _ab : _ba;
        var link = d.Link;
        if (link.BurstEnter > 0)
        {
            if (Now >= d.BadUntil && _random.NextDouble() < link.BurstEnter)
            {
                d.BadUntil = Now + TimeSpan.FromTicks((long)(-Math.Log(1 - _random.NextDouble()) * link.BurstDuration.Ticks));
            }

            if (Now < d.BadUntil && _random.NextDouble() < link.BurstLoss)
            {
                d.Dropped++;
                return;
            }
        }

        if (_random.NextDouble() < link.Loss)
        {
            d.Dropped++;
            return;
        }

        var departure = Now;
        if (link.BytesPerSecond > 0)
        {
            var start = d.LinkFreeAt > Now ? d.LinkFreeAt : Now;
            if (start - Now > link.MaxQueueDelay)
            {
                d.Dropped++;
                return;
            }

            departure = start + TimeSpan.FromSeconds(packet.Length / link.BytesPerSecond);
            d.LinkFreeAt = departure;
        }

        var at = departure + link.Latency;
        if (_random.NextDouble() < link.Reorder)
        {
            at += TimeSpan.FromTicks((long)(_random.NextDouble() * link.ReorderDelay.Ticks));
        }

        _wire.Enqueue((packet, fromA), (at, _seq++));
        if (_random.NextDouble() < link.Duplicate)
        {
            _wire.Enqueue((packet, fromA), (at + TimeSpan.FromTicks((long)(_random.NextDouble() * link.ReorderDelay.Ticks)), _seq++));
        }
    }

    /// <summary>Packets dropped by the network (true = A→B direction).</summary>
    public long Dropped(bool aToB) => aToB ? _ab.Dropped : _ba.Dropped;

    private sealed class Direction(SimulatedLink link)
    {
        public SimulatedLink Link { get; } = link;

        public TimeSpan BadUntil { get; set; }

        public long Dropped { get; set; }

        public TimeSpan LinkFreeAt { get; set; }
    }
}
