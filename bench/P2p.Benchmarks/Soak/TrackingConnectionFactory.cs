using System.Collections.Concurrent;
using P2p.Core.Transport;

namespace P2p.Benchmarks.Soak;

/// <summary>
/// Passes connection requests on to the real transport and keeps a weak reference to every connection it made, so
/// that the soak can tell whether the connections of departed members are collected (<see cref="LeakCheck"/>).
/// </summary>
internal sealed class TrackingConnectionFactory(IPeerConnectionFactory inner) : IPeerConnectionFactory
{
    public ConcurrentBag<WeakReference> Connections { get; } = [];

    public bool IceServersFromSignaling => inner.IceServersFromSignaling;

    public IPeerConnection CreateConnection(PeerConnectionContext context)
    {
        var connection = inner.CreateConnection(context);
        Connections.Add(new WeakReference(connection));
        return connection;
    }
}
