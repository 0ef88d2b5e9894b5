using System.Collections.Concurrent;
using P2p.Core.Transport;

namespace P2p.Testing;

/// <summary>
/// A transport whose connections to chosen members cannot be made: <see cref="CreateConnection"/> throws for them, so
/// every direct attempt of this member to them fails at once (as offerer it retries with back-off; as answerer it
/// refuses the offer, and the other side's attempt fails too). Everything else goes to the real transport. Tests and
/// benchmarks use it to make two members reachable only through a relay (docs/concepts.md, "Relayed members").
/// </summary>
public sealed class BlockingPeerConnectionFactory(IPeerConnectionFactory inner) : IPeerConnectionFactory
{
    private readonly ConcurrentDictionary<string, bool> _blocked = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public bool IceServersFromSignaling => inner.IceServersFromSignaling;

    /// <summary>Makes direct connections to <paramref name="memberId"/> impossible from now on.</summary>
    public void Block(string memberId) => _blocked[memberId] = true;

    /// <summary>Allows direct connections to <paramref name="memberId"/> again (the next attempt may succeed).</summary>
    public void Unblock(string memberId) => _blocked.TryRemove(memberId, out _);

    /// <inheritdoc />
    public IPeerConnection CreateConnection(PeerConnectionContext context) =>
        _blocked.ContainsKey(context.RemoteUserId)
            ? throw new InvalidOperationException($"test: no direct connection from {context.LocalUserId} to {context.RemoteUserId}")
            : inner.CreateConnection(context);
}
