using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// A deterministic, in-process network for tests: realms of <see cref="VirtualHost"/>s joined by
/// <see cref="VirtualRouter"/>s (plain routers or NATs per RFC 4787), <see cref="VirtualLink"/>s with loss, delay,
/// jitter, reordering, duplication, MTU and cuts, a <see cref="VirtualStunServer"/> and a <see cref="VirtualTurnServer"/>. Hosts are
/// <see cref="P2p.WebRtc.Net.IDatagramSocketFactory"/>s: an ICE agent given one as its socket factory, and the
/// network's <see cref="TimeProvider"/> as its clock, runs through the network in virtual time.
/// </summary>
/// <remarks>
/// <para>Determinism: every random choice (losses, jitter, ephemeral and NAT ports) comes from one generator seeded
/// with <see cref="Seed"/>; with a <see cref="FakeTimeProvider"/> the same seed and the same sends give the same
/// deliveries at the same virtual times.</para>
/// <para>Delivery: a datagram's whole path (links, NAT translation and filtering) is decided when it is sent; it is
/// then delivered by a timer of <see cref="TimeProvider"/>, at least <see cref="MinimumLatency"/> later — never
/// synchronously inside <c>Send</c> (a sender may hold a lock while sending). With a <see cref="FakeTimeProvider"/>
/// nothing moves until the test advances the clock (<see cref="Advance"/>, <see cref="AdvanceUntil"/>), and
/// deliveries then run on the advancing thread, one at a time, in arrival order. A fake clock fires all timers due
/// within one of its <c>Advance</c> calls at that call's end time: advance through <see cref="Advance"/> (steps of at most
/// <see cref="Resolution"/>, stopping at each delivery) rather than the clock directly.</para>
/// </remarks>
public sealed class VirtualNetwork : IDisposable
{
    /// <summary>The least one-way latency of any datagram (one tick): even over perfect links, delivery is a later timer event.</summary>
    public static readonly TimeSpan MinimumLatency = TimeSpan.FromTicks(1);

    private const int MaxHops = 32;

    private readonly PriorityQueue<InFlightDatagram, (TimeSpan At, long Sequence)> _queue = new();
    private readonly Lock _pump = new();
    private ITimer? _timer;
    private readonly long _start;
    private TimeSpan _timerDue = TimeSpan.MaxValue;
    private long _sequence;
    private int _publicAddresses;
    private int _privateSubnets;
    private bool _disposed;

    /// <summary>Creates a network on a new <see cref="FakeTimeProvider"/> (advance it with <see cref="Advance"/>).</summary>
    /// <param name="seed">The seed of every random choice.</param>
    public VirtualNetwork(int seed)
        : this(seed, new FakeTimeProvider())
    {
    }

    /// <summary>Creates a network on the given clock.</summary>
    /// <param name="seed">The seed of every random choice.</param>
    /// <param name="timeProvider">The clock whose timers deliver datagrams; a <see cref="FakeTimeProvider"/> makes runs reproducible.</param>
    public VirtualNetwork(int seed, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        Seed = seed;
        TimeProvider = timeProvider;
        Random = new Random(seed);
        _start = timeProvider.GetTimestamp();
        Internet = new VirtualRealm(this, "internet", null, 0);
    }

    /// <summary>The seed of every random choice.</summary>
    public int Seed { get; }

    /// <summary>The clock: give it to the ICE agents too (<c>IceAgentOptions.TimeProvider</c>).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The clock as a <see cref="FakeTimeProvider"/>, or <see langword="null"/> when the network runs on another clock.</summary>
    public FakeTimeProvider? FakeTime => TimeProvider as FakeTimeProvider;

    /// <summary>The public realm (addresses from 203.0.113.0/24 and 198.51.100.0/24).</summary>
    public VirtualRealm Internet { get; }

    /// <summary>Datagram counters.</summary>
    public VirtualNetworkCounters Counters { get; } = new();

    /// <summary>Time since the network was created, on its clock.</summary>
    public TimeSpan Now => TimeProvider.GetElapsedTime(_start);

    /// <summary>Datagrams sent but not yet delivered (or dropped at arrival).</summary>
    public int InFlight
    {
        get
        {
            lock (Sync)
            {
                return _queue.Count;
            }
        }
    }

    internal Lock Sync { get; } = new();

    /// <summary>Every public address of every public realm (they are all reachable from one another); under <see cref="Sync"/>.</summary>
    internal HashSet<IPAddress> PublicAddressesInUse { get; } = [];

    /// <summary>The seeded generator; used under <see cref="Sync"/> only.</summary>
    internal Random Random { get; }

    /// <summary>
    /// The largest step <see cref="Advance"/> moves a <see cref="FakeTimeProvider"/> by: 1 ms by default. A fake clock
    /// fires every timer that falls due during one <c>Advance</c> call at the call's end time, so timers other than the
    /// network's own (the agents') run up to this late; deliveries are exact (the steps stop at each one).
    /// </summary>
    public TimeSpan Resolution
    {
        get => _resolution;
        set
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive.");
            }

            _resolution = value;
        }
    }

    private TimeSpan _resolution = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Advances the <see cref="FakeTimeProvider"/> by <paramref name="by"/>, in steps no longer than
    /// <see cref="Resolution"/> that also stop at every delivery time, running every timer that falls due (deliveries,
    /// the agents' timers) on the calling thread.
    /// </summary>
    /// <param name="by">How far.</param>
    /// <exception cref="InvalidOperationException">The network does not run on a <see cref="FakeTimeProvider"/>.</exception>
    public void Advance(TimeSpan by)
    {
        var clock = RequireFakeTime();
        var end = Now + by;
        while (true)
        {
            var now = Now;
            if (now >= end)
            {
                return;
            }

            var step = end - now;
            if (step > _resolution)
            {
                step = _resolution;
            }

            lock (Sync)
            {
                if (_queue.TryPeek(out _, out var next) && next.At > now && next.At - now < step)
                {
                    step = next.At - now;
                }
            }

            clock.Advance(step);
        }
    }

    /// <summary>
    /// Advances the <see cref="FakeTimeProvider"/> in steps of <paramref name="step"/> until <paramref name="condition"/>
    /// holds (checked before the first step and after each) or <paramref name="limit"/> has passed.
    /// </summary>
    /// <param name="condition">What to wait for.</param>
    /// <param name="limit">The most virtual time to spend.</param>
    /// <param name="step">The step; 10 ms when <see langword="null"/>.</param>
    /// <returns>Whether the condition held.</returns>
    /// <exception cref="InvalidOperationException">The network does not run on a <see cref="FakeTimeProvider"/>.</exception>
    public bool AdvanceUntil(Func<bool> condition, TimeSpan limit, TimeSpan? step = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        RequireFakeTime();
        var by = step ?? TimeSpan.FromMilliseconds(10);
        if (by <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "Must be positive.");
        }

        var spent = TimeSpan.Zero;
        while (!condition())
        {
            if (spent >= limit)
            {
                return false;
            }

            Advance(by);
            spent += by;
        }

        return true;
    }

    /// <summary>
    /// Stops delivering: datagrams in flight are discarded and later sends are counted but never delivered. Only needed
    /// on a real clock (a pending timer of a <see cref="FakeTimeProvider"/> never fires by itself).
    /// </summary>
    public void Dispose()
    {
        lock (Sync)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
            _queue.Clear();
        }
    }

    internal IPAddress AllocatePublicAddress()
    {
        while (true)
        {
            var address = VirtualAddresses.Public(++_publicAddresses);
            if (!PublicAddressesInUse.Contains(address))
            {
                return address;
            }
        }
    }

    internal int AllocatePrivateSubnet() => ++_privateSubnets;

    /// <summary>Sends one datagram from <paramref name="socket"/>: decides its path and fate now, delivers it later.</summary>
    internal void Send(VirtualSocket socket, ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        lock (Sync)
        {
            Counters.CountSent();
            var host = socket.Host;
            var source = socket.LocalEndPoint;
            var delay = TimeSpan.Zero;
            var copies = 0;
            var copyJitter = TimeSpan.Zero;
            var now = Now;

            if (!host.HasAddress(source.Address))
            {
                Counters.CountDropped(DatagramDropReason.SourceAddressGone);
                return;
            }

            if (host.HasAddress(destination.Address))
            {
                Schedule(new InFlightDatagram(datagram.ToArray(), host, source, destination), now);
                return;
            }

            if (!Cross(host.Link, datagram.Length, ref delay, ref copies, ref copyJitter))
            {
                return;
            }

            var realm = host.Realm;
            for (var hop = 0; hop < MaxHops; hop++)
            {
                if (realm.FindHost(destination.Address) is { } target)
                {
                    if (Cross(target.Link, datagram.Length, ref delay, ref copies, ref copyJitter))
                    {
                        var data = datagram.ToArray();
                        Schedule(new InFlightDatagram(data, target, source, destination), now + delay);
                        for (var i = 0; i < copies; i++)
                        {
                            Counters.CountDuplicated();
                            var extra = TimeSpan.FromTicks((long)(Random.NextDouble() * copyJitter.Ticks));
                            Schedule(new InFlightDatagram(data, target, source, destination), now + delay + extra);
                        }
                    }

                    return;
                }

                if (realm.FindNat(destination.Address) is { } inbound)
                {
                    // Down through a NAT from its outside: its uplink, then translation and filtering.
                    if (!Cross(inbound.Link, datagram.Length, ref delay, ref copies, ref copyJitter))
                    {
                        return;
                    }

                    if (inbound.TranslateInbound(source, destination, now, out var inside) is { } refused)
                    {
                        Counters.CountDropped(refused);
                        return;
                    }

                    destination = inside;
                    realm = inbound.Inside;
                    continue;
                }

                if (realm.FindRouteDown(destination.Address) is { } router)
                {
                    if (!Cross(router.Link, datagram.Length, ref delay, ref copies, ref copyJitter))
                    {
                        return;
                    }

                    realm = router.Inside;
                    continue;
                }

                if (realm.Gateway is { } gateway)
                {
                    if (gateway.Behavior.Translates && destination.Address.Equals(gateway.ExternalAddress))
                    {
                        // RFC 4787 §6: hairpinning, from the sender's external address and port.
                        if (!gateway.Behavior.Hairpinning)
                        {
                            Counters.CountDropped(DatagramDropReason.NoHairpinning);
                            return;
                        }

                        source = gateway.TranslateOutbound(source, destination, now);
                        if (gateway.TranslateInbound(source, destination, now, out var inside) is { } refused)
                        {
                            Counters.CountDropped(refused);
                            return;
                        }

                        destination = inside;
                        continue;
                    }

                    // Up through the gateway: translation (the mapping exists even if the uplink then loses the datagram).
                    if (gateway.Behavior.Translates)
                    {
                        source = gateway.TranslateOutbound(source, destination, now);
                    }

                    if (!Cross(gateway.Link, datagram.Length, ref delay, ref copies, ref copyJitter))
                    {
                        return;
                    }

                    realm = gateway.Outside;
                    continue;
                }

                Counters.CountDropped(DatagramDropReason.NoRoute);
                return;
            }

            Counters.CountDropped(DatagramDropReason.HopLimit);
        }
    }

    /// <summary>Under the lock: one link's fate for the datagram (cut, MTU, loss), delay, reordering and duplication.</summary>
    private bool Cross(VirtualLink link, int size, ref TimeSpan delay, ref int copies, ref TimeSpan copyJitter)
    {
        if (link.IsCutLocked)
        {
            Counters.CountDropped(DatagramDropReason.LinkCut);
            return false;
        }

        var c = link.ConditionsLocked;
        if (c.Mtu is { } mtu && size + 28 > mtu)
        {
            Counters.CountDropped(DatagramDropReason.TooBig);
            return false;
        }

        if (c.Loss > 0 && Random.NextDouble() < c.Loss)
        {
            Counters.CountDropped(DatagramDropReason.Loss);
            return false;
        }

        delay += c.Delay;
        if (c.Jitter > TimeSpan.Zero)
        {
            delay += TimeSpan.FromTicks((long)(Random.NextDouble() * c.Jitter.Ticks));
        }

        if (c.Reordering > 0 && Random.NextDouble() < c.Reordering)
        {
            delay += c.ReorderDelay;
        }

        if (c.Duplication > 0 && Random.NextDouble() < c.Duplication)
        {
            copies++;
            copyJitter += c.Jitter > TimeSpan.Zero ? c.Jitter : TimeSpan.FromMilliseconds(1);
        }

        return true;
    }

    /// <summary>Under the lock: queues a delivery and moves the timer earlier if needed.</summary>
    private void Schedule(InFlightDatagram datagram, TimeSpan at)
    {
        if (_disposed)
        {
            return;
        }

        var now = Now;
        if (at - now < MinimumLatency)
        {
            at = now + MinimumLatency;
        }

        _queue.Enqueue(datagram, (at, _sequence++));
        if (at < _timerDue)
        {
            Arm(at, now);
        }
    }

    /// <summary>
    /// Under the lock: a new one-shot timer for <paramref name="at"/> replaces the previous one. (A fresh timer rather than
    /// <see cref="ITimer.Change"/> from inside the callback: what a fake clock does with a one-shot timer after its
    /// callback returns must not undo the re-arming.)
    /// </summary>
    private void Arm(TimeSpan at, TimeSpan now)
    {
        _timer?.Dispose();
        _timerDue = at;
        var due = at - now;
        _timer = TimeProvider.CreateTimer(_ => Pump(), null, due < MinimumLatency ? MinimumLatency : due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The timer: delivers every datagram that is due, one at a time, outside the network's lock.</summary>
    private void Pump()
    {
        lock (_pump)
        {
            lock (Sync)
            {
                _timerDue = TimeSpan.MaxValue;
            }

            while (true)
            {
                InFlightDatagram datagram;
                VirtualSocket? socket;
                lock (Sync)
                {
                    var now = Now;
                    if (!_queue.TryPeek(out datagram!, out var when) || when.At > now)
                    {
                        if (_queue.Count > 0 && when.At < _timerDue)
                        {
                            Arm(when.At, now);
                        }

                        return;
                    }

                    _queue.Dequeue();
                    socket = datagram.Host.FindSocket(datagram.Destination);
                    if (socket is null)
                    {
                        Counters.CountDropped(DatagramDropReason.NoSocket);
                        continue;
                    }
                }

                if (socket.Deliver(datagram.Data, datagram.Source))
                {
                    Counters.CountDelivered();
                }
                else
                {
                    Counters.CountDropped(DatagramDropReason.NoSocket);
                }
            }
        }
    }

    /// <summary>Waits until no delivery is running (unless called from inside one).</summary>
    internal void WaitForDelivery()
    {
        if (!_pump.IsHeldByCurrentThread)
        {
            lock (_pump)
            {
            }
        }
    }

    private FakeTimeProvider RequireFakeTime() =>
        FakeTime ?? throw new InvalidOperationException("The network does not run on a FakeTimeProvider; its clock cannot be advanced.");
}
