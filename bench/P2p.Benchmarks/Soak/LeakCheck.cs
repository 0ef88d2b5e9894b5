using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Soak;

/// <summary>
/// What of a departed membership is still reachable after a full collection: its group, its signaling channel, its
/// transport's peer connections. Once a member has left or crashed and its objects were disposed, nothing of the SDK
/// should keep them alive; what is still alive is a leak (a timer, an event subscription, a static cache...).
/// </summary>
internal sealed class LeakCheck
{
    private readonly List<WeakReference> _groups = [];
    private readonly List<WeakReference> _channels = [];
    private readonly List<WeakReference> _connections = [];
    private readonly List<WeakReference> _servers = [];
    private readonly Lock _sync = new();

    /// <summary>Remembers a departed membership's objects, once disposed and dropped by the soak.</summary>
    public void Departed((object Group, object Signaling, TrackingConnectionFactory Transport) member)
    {
        lock (_sync)
        {
            _groups.Add(new WeakReference(member.Group));
            _channels.Add(new WeakReference(member.Signaling));
            _connections.AddRange(member.Transport.Connections);
        }
    }

    /// <summary>Remembers a signaling server that was stopped and disposed (for a restart): its services should go too.</summary>
    public void Stopped(IServiceProvider services)
    {
        lock (_sync)
        {
            _servers.Add(new WeakReference(services));
        }
    }

    /// <summary>After a full collection: how many of each are still alive, of how many.</summary>
    public LeakCount Alive()
    {
        ProcessMemory.Measure();
        lock (_sync)
        {
            return new(
                (_groups.Count(w => w.IsAlive), _groups.Count),
                (_channels.Count(w => w.IsAlive), _channels.Count),
                (_connections.Count(w => w.IsAlive), _connections.Count),
                (_servers.Count(w => w.IsAlive), _servers.Count));
        }
    }
}

/// <summary>Objects still alive after a full collection, of how many that should be gone.</summary>
internal readonly record struct LeakCount((int Alive, int Of) Groups, (int Alive, int Of) Channels, (int Alive, int Of) Connections, (int Alive, int Of) Servers)
{
    public bool Any => Groups.Alive + Channels.Alive + Connections.Alive + Servers.Alive > 0;

    public override string ToString() =>
        $"{Groups.Alive} of {Groups.Of} / {Channels.Alive} of {Channels.Of} / {Connections.Alive} of {Connections.Of} / {Servers.Alive} of {Servers.Of}";
}
