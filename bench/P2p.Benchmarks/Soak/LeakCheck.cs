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

    /// <summary>After a full collection: how many of each are still alive, of how many.</summary>
    public (int Groups, int GroupsTotal, int Channels, int ChannelsTotal, int Connections, int ConnectionsTotal) Alive()
    {
        ProcessMemory.Measure();
        lock (_sync)
        {
            return (_groups.Count(w => w.IsAlive), _groups.Count, _channels.Count(w => w.IsAlive), _channels.Count, _connections.Count(w => w.IsAlive), _connections.Count);
        }
    }
}
