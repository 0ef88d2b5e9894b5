using System.Diagnostics;
using P2p.Core;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets;
using P2p.Testing;
using P2p.Transport.WebRtc;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Testing.Network;

namespace P2p.Benchmarks.Soak;

/// <summary>
/// The soak's members, present and past, and what can happen to one: joining (into a slot), leaving gracefully,
/// crashing. Each membership signals through a <see cref="FaultyTcpProxy"/> of its own in front of the signaling
/// server, so a crash resets its connection as a killed process would (no close handshake, no <c>leave</c>).
/// </summary>
internal sealed class SoakRoster(SoakOptions options, VirtualNetwork net, Uri signalingUri, LeakCheck leaks, Func<double> now)
{
    private readonly List<SoakMember> _all = [];
    private readonly Lock _sync = new();
    private string _groupId = "";
    private int _hosts;
    private int _joinRetries;
    private readonly Microsoft.Extensions.Logging.ILoggerFactory _logging = options.CreateLoggerFactory();

    /// <summary>Every membership so far, in order of joining.</summary>
    public IReadOnlyList<SoakMember> All
    {
        get
        {
            lock (_sync)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>The members in the group now.</summary>
    public IReadOnlyList<SoakMember> Present
    {
        get
        {
            lock (_sync)
            {
                return [.. _all.Where(m => m.IsPresent)];
            }
        }
    }

    /// <summary>Joins attempts that failed (and were retried), e.g. during a signaling restart.</summary>
    public int JoinRetries => Volatile.Read(ref _joinRetries);

    /// <summary>A new host for <paramref name="slot"/>, on its slot's link conditions.</summary>
    public VirtualHost NewHost(int slot)
    {
        var host = net.Internet.AddHost($"s{slot}h{Interlocked.Increment(ref _hosts)}");
        host.Link.Conditions = options.ConditionsOf(slot);
        return host;
    }

    /// <summary>Creates the group (slot 0) or joins it, retrying for up to a minute (the server may be restarting).</summary>
    public async Task<SoakMember> JoinAsync(int slot, VirtualHost host, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var proxy = new FaultyTcpProxy(signalingUri);
            var member = new SoakMember(slot, host, proxy);
            WebSocketSignalingChannel? signaling = null;
            try
            {
                var transport = new TrackingConnectionFactory(new WebRtcPeerConnectionFactory(new WebRtcTransportOptions { Ice = new IceAgentOptions { SocketFactory = host } }));
                signaling = await WebSocketSignalingChannel.ConnectAsync(proxy.Uri, cancellationToken: cancellationToken);
                var group = _groupId.Length == 0
                    ? await Group.CreateAsync(signaling, transport, GroupCapability.All, member.Options(), new P2pOptions { LoggerFactory = _logging }, cancellationToken)
                    : await Group.JoinAsync(signaling, transport, _groupId, member.Options(), new P2pOptions { LoggerFactory = _logging }, cancellationToken);
                if (_groupId.Length == 0)
                {
                    _groupId = group.Id;
                }

                member.Attach(group, signaling, transport, now(), now);
                lock (_sync)
                {
                    _all.Add(member);
                }

                return member;
            }
            catch (Exception ex) when (ex is SignalingException or GroupException && deadline.Elapsed < TimeSpan.FromMinutes(1))
            {
                Interlocked.Increment(ref _joinRetries);
                if (signaling is not null)
                {
                    if (signaling.UserId is { } userId)
                    {
                        // The others may have seen it join: its copies are owed to nobody, and it must not stay listed.
                        member.JoinFailed(userId, now());
                        lock (_sync)
                        {
                            _all.Add(member);
                        }
                    }

                    await signaling.DisposeAsync();
                }

                await proxy.DisposeAsync();
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    /// <summary>Leaves gracefully: stops its traffic, <see cref="IGroup.LeaveAsync"/>, disposes everything.</summary>
    public async Task LeaveAsync(SoakMember member)
    {
        member.Depart(Departure.Left, now());
        await StopTrafficAsync(member);
        await member.Group!.LeaveAsync();
        leaks.Departed(await DisposeAsync(member));
    }

    /// <summary>
    /// Crashes: its host's link is cut for good and its signaling connection reset, at the same instant, so the others
    /// hear nothing more from it, not even a leave; then its objects are disposed behind the cut (whatever they try to
    /// say goes nowhere) so that the process gets its resources back, as the operating system would for a killed process.
    /// </summary>
    public async Task CrashAsync(SoakMember member)
    {
        member.Host.Link.Cut();
        member.Proxy!.Drop();
        member.Depart(Departure.Crashed, now());
        await StopTrafficAsync(member);
        leaks.Departed(await DisposeAsync(member));
    }

    /// <summary>At the end: every member still present leaves.</summary>
    public async Task DisposeAllAsync()
    {
        foreach (var member in Present)
        {
            await StopTrafficAsync(member);
            await DisposeAsync(member);
        }
    }

    private static async Task StopTrafficAsync(SoakMember member)
    {
        await member.TrafficStop.CancelAsync();
        await member.Traffic;
    }

    /// <summary>Disposes its objects and drops them; returns them for the leak check.</summary>
    private static async Task<(object Group, object Signaling, TrackingConnectionFactory Transport)> DisposeAsync(SoakMember member)
    {
        var dropped = ((object)member.Group!, (object)member.Signaling!, member.Transport!);
        await member.Group!.DisposeAsync();
        await member.Signaling!.DisposeAsync();
        await member.Proxy!.DisposeAsync();
        member.Detach();
        return dropped;
    }
}
