using Microsoft.Extensions.Logging;
using P2p.Core.Mesh;

namespace P2p.Core.Messaging;

/// <summary>
/// One received request queued to the thread pool (<see cref="RequestInvoker.Dispatch"/>), where <c>Task.Run</c> with a
/// closure took five objects. Items are reused: one goes back to a small process-wide pool as soon as it has handed its
/// request to <see cref="RequestInvoker.RunAsync"/>.
/// </summary>
internal sealed class RequestWorkItem : IThreadPoolWorkItem
{
    private const int MaxPooled = 64;
    private static readonly Stack<RequestWorkItem> Pool = new();

    private MeshGroup? _group;
    private Member? _peer;
    private uint _requestId;
    private ReadOnlyMemory<byte> _request;
    private IRequestAnswerer? _answerer;
    private ILogger? _logger;
    private CancellationToken _lifetime;

    /// <summary>Queues the request to the thread pool.</summary>
    public static void Queue(
        MeshGroup group, Member peer, uint requestId, ReadOnlyMemory<byte> request, IRequestAnswerer answerer, ILogger logger, CancellationToken lifetime)
    {
        RequestWorkItem? item;
        lock (Pool)
        {
            Pool.TryPop(out item);
        }

        item ??= new RequestWorkItem();
        item._group = group;
        item._peer = peer;
        item._requestId = requestId;
        item._request = request;
        item._answerer = answerer;
        item._logger = logger;
        item._lifetime = lifetime;
        ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
    }

    public void Execute()
    {
        var (group, peer, requestId, request, answerer, logger, lifetime) = (_group!, _peer!, _requestId, _request, _answerer!, _logger!, _lifetime);
        (_group, _peer, _request, _answerer, _logger, _lifetime) = (null, null, default, null, null, default);
        lock (Pool)
        {
            if (Pool.Count < MaxPooled)
            {
                Pool.Push(this);
            }
        }

        _ = RequestInvoker.RunAsync(group, peer, requestId, request, answerer, logger, lifetime);
    }
}
