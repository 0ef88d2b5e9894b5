using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;

namespace P2p.Hosting;

/// <summary>
/// The application's connection to P2p, registered by <see cref="P2pServiceCollectionExtensions.AddP2p"/>: connects to the
/// signaling server on first use and hands out one <see cref="P2pService"/> for the application's lifetime (create and
/// join groups with it). Disposed by the container, which leaves every group and closes the connection.
/// </summary>
public sealed class P2pClient : IAsyncDisposable
{
    private readonly P2pClientOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private P2pService? _service;
    private bool _disposed;

    /// <summary>Creates the client (the container does this).</summary>
    /// <param name="options">The validated settings.</param>
    /// <param name="loggerFactory">The host's logging, used unless the settings name another.</param>
    public P2pClient(IOptions<P2pClientOptions> options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>
    /// The service, connected to the signaling server (at the first call; later calls return the same service). Fails with
    /// the connection's error when the server cannot be reached; the next call tries again.
    /// </summary>
    /// <param name="cancellationToken">Cancels connecting.</param>
    public async Task<P2pService> GetServiceAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _service) is { } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_service is { } service)
            {
                return service;
            }

            var logger = _loggerFactory.CreateLogger("P2p.Hosting");
            var signaling = await WebSocketSignalingChannel.ConnectAsync(
                _options.SignalingUri!, _options.Signaling, _loggerFactory.CreateLogger<WebSocketSignalingChannel>(), cancellationToken).ConfigureAwait(false);
            var transport = new WebRtcPeerConnectionFactory(_options.Transport.LoggerFactory is null ? _options.Transport with { LoggerFactory = _loggerFactory } : _options.Transport);
            var serviceOptions = _options.Service;
            if (ReferenceEquals(serviceOptions.LoggerFactory, NullLoggerFactory.Instance))
            {
                serviceOptions.LoggerFactory = _loggerFactory;
            }

            service = new P2pService(signaling, transport, serviceOptions);
            logger.LogInformation("Connected to the signaling server {Uri}", _options.SignalingUri);
            Volatile.Write(ref _service, service);
            return service;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Leaves every group and closes the signaling connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_service is { } service)
            {
                await service.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
