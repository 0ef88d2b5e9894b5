using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace P2p.WebRtc.Mdns;

/// <summary>
/// Resolves <c>&lt;name&gt;.local</c> host names to addresses with one-shot multicast DNS queries (RFC 6762 §5.1):
/// one query with an A and an AAAA question goes to 224.0.0.251 and ff02::fb on every given interface, and is
/// repeated with a doubling interval (<see cref="MdnsOptions.QueryCount"/> times within
/// <see cref="MdnsOptions.ResolutionTimeout"/>) until a response names the host. The questions are "QM" (multicast
/// responses), so the answer reaches this resolver even when other sockets of the host share port 5353.
/// </summary>
/// <remarks>Sockets are opened at the first resolution. Every method may be called from any thread.</remarks>
public sealed class MdnsResolver : IAsyncDisposable
{
    private readonly MdnsOptions _options;
    private readonly IReadOnlyList<IPAddress> _interfaces;
    private readonly ILogger _logger;
    private readonly IMdnsSocketFactory _factory;
    private readonly SemaphoreSlim _concurrency;
    private readonly Lock _sync = new();
    private readonly List<Lookup> _lookups = [];
    private readonly CancellationTokenSource _stop = new();
    private List<MdnsSocket>? _sockets;
    private bool _disposed;
    private int _queriesSent;

    /// <summary>Creates a resolver.</summary>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <param name="interfaces">
    /// Local addresses whose interfaces carry the queries (their families decide which groups are used); empty or
    /// <see langword="null"/> for the system's default multicast interface of each family.
    /// </param>
    /// <param name="logger">Where to log; <see cref="MdnsOptions.LoggerFactory"/>'s when <see langword="null"/>.</param>
    public MdnsResolver(MdnsOptions? options = null, IReadOnlyList<IPAddress>? interfaces = null, ILogger? logger = null)
    {
        _options = options ?? new MdnsOptions();
        _options.Validate();
        _interfaces = interfaces ?? [];
        _logger = logger ?? _options.LoggerFactory?.CreateLogger<MdnsResolver>() ?? NullLogger<MdnsResolver>.Instance;
        _factory = _options.SocketFactory ?? SystemMdnsSocketFactory.Instance;
        _concurrency = new SemaphoreSlim(_options.MaxConcurrentResolutions);
    }

    /// <summary>Queries sent so far (one per interface and family).</summary>
    public int QueriesSent => Volatile.Read(ref _queriesSent);

    /// <summary>
    /// Resolves <paramref name="name"/>. Returns its addresses (IPv4 and IPv6, in the order answered), or an empty list
    /// when nothing answered in time or no socket could be opened; a resolution failure never throws.
    /// </summary>
    /// <param name="name">A <c>.local</c> name (see <see cref="MdnsNames.IsLocal"/>).</param>
    /// <param name="cancellationToken">Cancels the resolution.</param>
    /// <returns>The addresses, possibly none.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid <c>.local</c> name.</exception>
    /// <exception cref="OperationCanceledException">Cancelled, or the resolver was disposed.</exception>
    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!MdnsNames.IsLocal(name))
        {
            throw new ArgumentException($"\"{name}\" is not a .local name.", nameof(name));
        }

        name = MdnsNames.Normalize(name);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var token = linked.Token;
        await _concurrency.WaitAsync(token).ConfigureAwait(false);
        var lookup = new Lookup(name);
        try
        {
            List<MdnsSocket> sockets;
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                sockets = _sockets ??= OpenSockets();
                _lookups.Add(lookup);
            }

            if (sockets.Count == 0)
            {
                return [];
            }

            var query = DnsMessageWriter.Query(0, [new DnsQuestion(name, DnsRecordType.A), new DnsQuestion(name, DnsRecordType.Aaaa)]);
            var time = _options.TimeProvider;
            var start = time.GetTimestamp();
            var interval = _options.ResolutionTimeout / ((1 << _options.QueryCount) - 1);
            for (var i = 0; i < _options.QueryCount; i++)
            {
                Send(sockets, query);
                var wait = i == _options.QueryCount - 1 ? _options.ResolutionTimeout - time.GetElapsedTime(start) : interval * (1 << i);
                try
                {
                    var addresses = await lookup.Result.Task.WaitAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, token).ConfigureAwait(false);
                    _logger.LogDebug("mDNS: {Name} is {Addresses} (after {Queries} queries)", name, string.Join(", ", addresses), i + 1);
                    return addresses;
                }
                catch (TimeoutException)
                {
                    // retransmit, or give up after the last one
                }
            }

            _logger.LogDebug("mDNS: no answer for {Name} after {Queries} queries in {Timeout}", name, _options.QueryCount, _options.ResolutionTimeout);
            return [];
        }
        finally
        {
            lock (_sync)
            {
                _lookups.Remove(lookup);
            }

            _concurrency.Release();
        }
    }

    /// <summary>Stops pending resolutions (they throw <see cref="OperationCanceledException"/>) and closes the sockets.</summary>
    /// <returns>A task that completes when the receive loops have stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        List<MdnsSocket>? sockets;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            sockets = _sockets;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var s in sockets ?? [])
        {
            await s.DisposeAsync().ConfigureAwait(false);
        }
    }

    private List<MdnsSocket> OpenSockets()
    {
        var result = new List<MdnsSocket>();
        foreach (var family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
        {
            var locals = _interfaces.Where(a => a.AddressFamily == family).Cast<IPAddress?>().ToList();
            if (_interfaces.Count > 0 && locals.Count == 0)
            {
                continue;
            }

            if (MdnsSocket.TryOpen(_factory, family, requirePort5353: false, _logger) is not { } socket)
            {
                continue;
            }

            // Multicast responses come to port 5353 and only to members of the group.
            var joined = socket.LocalPort != MdnsEndPoints.Port;
            foreach (var local in locals.Count > 0 ? locals : [null])
            {
                joined |= socket.Join(local);
            }

            if (!joined && family == AddressFamily.InterNetwork)
            {
                joined = socket.Join(null);
            }

            socket.Start(OnDatagram);
            result.Add(socket);
        }

        if (result.Count == 0)
        {
            _logger.LogWarning("mDNS: no socket for queries; .local names cannot be resolved");
        }

        return result;
    }

    private void Send(List<MdnsSocket> sockets, byte[] query)
    {
        foreach (var socket in sockets)
        {
            var locals = _interfaces.Where(a => a.AddressFamily == socket.Family).Cast<IPAddress?>().ToList();
            foreach (var local in locals.Count > 0 ? locals : [null])
            {
                if (socket.SendMulticast(query, local))
                {
                    Interlocked.Increment(ref _queriesSent);
                }
            }
        }
    }

    private void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        if (!DnsMessage.TryParse(datagram.Span, out var message) || !message.Header.IsResponse
            || message.Header.Opcode != 0 || message.Header.ResponseCode != 0)
        {
            return;
        }

        Lookup[] lookups;
        lock (_sync)
        {
            if (_lookups.Count == 0)
            {
                return;
            }

            lookups = [.. _lookups];
        }

        foreach (var lookup in lookups)
        {
            var addresses = message.AddressesOf(lookup.Name);
            if (addresses.Count > 0)
            {
                _logger.LogDebug("mDNS: response from {Source} for {Name}", source, lookup.Name);
                lookup.Result.TrySetResult(addresses);
            }
        }
    }

    private sealed class Lookup(string name)
    {
        public string Name { get; } = name;

        public TaskCompletionSource<IReadOnlyList<IPAddress>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
