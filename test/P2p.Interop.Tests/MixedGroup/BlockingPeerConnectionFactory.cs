using System.Collections.Concurrent;
using P2p.Core.Transport;

namespace P2p.Interop.Tests.BrowserClient.MixedGroup;

/// <summary>
/// A transport whose connections to listed members cannot be made: <see cref="CreateConnection"/> throws for them, so
/// every direct attempt of this member fails at once (as offerer it retries; as answerer it refuses the offer, and
/// the other side's attempt fails too). Everything else goes to the real transport.
/// </summary>
internal sealed class BlockingPeerConnectionFactory(IPeerConnectionFactory inner) : IPeerConnectionFactory
{
    private readonly ConcurrentDictionary<string, bool> _blocked = new(StringComparer.Ordinal);

    public bool IceServersFromSignaling => inner.IceServersFromSignaling;

    /// <summary>Makes direct connections to <paramref name="memberId"/> impossible from now on.</summary>
    public void Block(string memberId) => _blocked[memberId] = true;

    public IPeerConnection CreateConnection(PeerConnectionContext context) =>
        _blocked.ContainsKey(context.RemoteUserId)
            ? throw new InvalidOperationException($"test: no direct connection from {context.LocalUserId} to {context.RemoteUserId}")
            : inner.CreateConnection(context);
}
