using System.Net;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Turn;

/// <summary>
/// One allocation on a TURN server (RFC 8656), seen by ICE as a datagram socket whose local address is the relayed
/// address: <see cref="Send"/> reaches a peer through the server (a Send indication until a channel is bound, then
/// ChannelData), and the peers' data arrives at the receive handler with the peer's address. The client
/// authenticates with long-term credentials (401 → realm and nonce → retry; 438 → new nonce → retry), refreshes the
/// allocation, its permissions and its channels before they expire, and deletes the allocation when disposed.
/// </summary>
/// <remarks>
/// Threading: every member may be called from any thread. The handler is invoked one message at a time, on the
/// link's receive thread or task, never under the allocation's lock. Time comes from the given
/// <see cref="TimeProvider"/>, so a virtual clock drives every timer.
/// </remarks>
internal sealed partial class TurnAllocation : IDatagramSocket
{
    private readonly Lock _sync = new();
    private readonly ITurnServerLink _link;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TurnTiming _timing;
    private readonly long _created;
    private readonly ITimer _timer;
    private readonly TaskCompletionSource _allocated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DatagramSocketReceiveHandler? _handler;
    private IPEndPoint? _relayed;
    private bool _started;
    private bool _disposed;
    private bool _lost;

    /// <summary>Creates the client for one server over <paramref name="link"/>; nothing is sent until <see cref="AllocateAsync"/>.</summary>
    public TurnAllocation(TurnServer server, ITurnServerLink link, TimeProvider time, ILogger logger, TurnTiming? timing = null)
    {
        Server = server;
        _link = link;
        _time = time;
        _logger = logger;
        _timing = timing ?? new TurnTiming();
        _created = time.GetTimestamp();
        _timer = time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The server and credentials.</summary>
    public TurnServer Server { get; }

    /// <summary>The relayed transport address (the relayed candidate); valid once <see cref="AllocateAsync"/> completed.</summary>
    public IPEndPoint LocalEndPoint => _relayed ?? throw new InvalidOperationException("Not allocated yet.");

    /// <summary>The client's address as the server saw it (XOR-MAPPED-ADDRESS of the Allocate response).</summary>
    public IPEndPoint? MappedAddress { get; private set; }

    /// <summary>The server's address.</summary>
    public IPEndPoint ServerEndPoint => _link.Server;

    /// <summary>The transport to the server.</summary>
    public TurnTransport Transport => Server.Transport;

    /// <summary>The lifetime the server granted last.</summary>
    public TimeSpan Lifetime { get; private set; }

    /// <summary>True once the allocation is gone (refresh refused, link closed, deleted); sends fail.</summary>
    public bool IsLost
    {
        get
        {
            lock (_sync)
            {
                return _lost;
            }
        }
    }

    private TimeSpan Now => _time.GetElapsedTime(_created);

    /// <summary>Allocates a relayed address (authenticating as needed).</summary>
    /// <param name="cancellationToken">Gives up (the caller bounds the time this way).</param>
    /// <returns>The relayed address.</returns>
    /// <exception cref="TurnException">The server refused (with its error code) or the link failed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the server answered.</exception>
    public async Task<IPEndPoint> AllocateAsync(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_started)
            {
                _started = true;
                _link.Start(OnServerMessage, OnLinkClosed);
                SendRequest(TurnRequestKind.Allocate);
            }
        }

        await _allocated.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return _relayed!;
    }

    /// <inheritdoc/>
    public void Start(DatagramSocketReceiveHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_sync)
        {
            if (_handler is not null)
            {
                throw new InvalidOperationException("The relayed socket is already started.");
            }

            _handler = handler;
        }
    }

    /// <summary>Deletes the allocation (a Refresh with LIFETIME 0, not waited for) and closes the link.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer.Dispose();
            if (_relayed is not null && !_lost)
            {
                SendRequest(TurnRequestKind.Refresh, lifetime: 0);
            }

            _requests.Clear();
            _lost = true;
        }

        _link.Dispose();
        _allocated.TrySetException(new ObjectDisposedException(nameof(TurnAllocation)));
        _allocated.Task.Exception?.Handle(_ => true);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Server} ({_relayed?.ToString() ?? "not allocated"})";

    private void OnLinkClosed(Exception? error)
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _logger.LogWarning("TURN {Server}: the connection closed: {Error}", Server, error?.Message);
            Lose(new TurnException($"The connection to the TURN server {Server} closed.", 0, error));
        }
    }

    /// <summary>Under the lock: the allocation is gone; pending work is dropped and sends fail from now on.</summary>
    private void Lose(TurnException reason)
    {
        _lost = true;
        _requests.Clear();
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_allocated.TrySetException(reason))
        {
            _allocated.Task.Exception?.Handle(_ => true);
        }
    }
}
