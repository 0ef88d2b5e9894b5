using System.Collections.Concurrent;
using P2p.Core.Transport;
using P2p.Transport.WebRtc;
using P2p.WebRtc.Ice;

namespace P2p.NatLab.Tests;

/// <summary>The WebRTC transport of one member, remembering its newest connection to each other member to read its selected pair.</summary>
internal sealed class RecordingTransport(WebRtcPeerConnectionFactory inner) : IPeerConnectionFactory
{
    private readonly ConcurrentDictionary<string, IPeerConnection> _byRemote = new(StringComparer.Ordinal);

    public IPeerConnection CreateConnection(PeerConnectionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var connection = inner.CreateConnection(context);
        _byRemote[context.RemoteUserId] = connection;
        return connection;
    }

    /// <summary>The selected pair of the link to <paramref name="remoteUserId"/>.</summary>
    public IceCandidatePairInfo? SelectedPair(string remoteUserId) =>
        _byRemote.TryGetValue(remoteUserId, out var connection) ? WebRtcPeerConnectionFactory.GetSelectedCandidatePair(connection) : null;
}
