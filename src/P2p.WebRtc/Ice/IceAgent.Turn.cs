using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Ice;

/// <summary>Relayed candidates (RFC 8445 §5.1.1.2): one TURN allocation per configured server, made while gathering.</summary>
public sealed partial class IceAgent
{
    private readonly CancellationTokenSource _turnStop = new();
    private readonly List<Task> _turnTasks = [];
    private int _turnPending;
    private int _relayCount;
    private string? _lastTurnError;

    /// <summary>The allocations that became relayed candidates (for tests).</summary>
    internal IReadOnlyList<TurnAllocation> TurnAllocations
    {
        get
        {
            lock (_sync)
            {
                return _sockets.Select(s => s.Socket).OfType<TurnAllocation>().ToArray();
            }
        }
    }

    /// <summary>Raised when a TURN server gives no relayed candidate (refused credentials, no answer, a failed connection).</summary>
    public event EventHandler<IceCandidateErrorEventArgs>? CandidateError;

    /// <summary>Under the lock: starts one allocation per TURN server.</summary>
    private void StartTurnAllocations(IReadOnlyList<IPAddress> localAddresses)
    {
        foreach (var server in _options.TurnServers)
        {
            _turnPending++;
            _turnTasks.Add(AllocateAsync(server, localAddresses));
        }
    }

    private async Task AllocateAsync(TurnServer server, IReadOnlyList<IPAddress> localAddresses)
    {
        await Task.Yield(); // never under the caller's lock
        using var timeout = new CancellationTokenSource(_options.TurnAllocationTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _turnStop.Token);
        TurnAllocation? allocation = null;
        string? error = null;
        var code = 0;
        try
        {
            var endPoint = await ResolveTurnServerAsync(server, localAddresses, linked.Token).ConfigureAwait(false);
            var link = await ConnectTurnAsync(server, endPoint, localAddresses, linked.Token).ConfigureAwait(false);
            allocation = new TurnAllocation(server, link, _time, _options.LoggerFactory?.CreateLogger<TurnAllocation>() ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            await allocation.AllocateAsync(linked.Token).ConfigureAwait(false);
            lock (_sync)
            {
                if (!_disposed && _state is not (IceConnectionState.Failed or IceConnectionState.Closed))
                {
                    AddRelayedCandidate(allocation);
                    allocation = null;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_turnStop.IsCancellationRequested)
        {
            error = $"The TURN server {server} gave no allocation within {_options.TurnAllocationTimeout.TotalSeconds:0.#} s.";
        }
        catch (OperationCanceledException)
        {
            // the agent is closing
        }
        catch (TurnException e)
        {
            error = e.Message;
            code = e.ErrorCode;
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException or ArgumentException or InvalidOperationException)
        {
            error = $"The TURN server {server} cannot be reached: {e.Message}";
        }
        catch (Exception e)
        {
            // Never leave gathering waiting for an allocation that ended in something unforeseen.
            _logger.LogError(e, "ICE {Ufrag}: TURN allocation on {Server} failed unexpectedly", LocalUfrag, server);
            error = $"The TURN allocation on {server} failed: {e.Message}";
        }
        finally
        {
            allocation?.Dispose();
        }

        lock (_sync)
        {
            _turnPending--;
            if (error is not null && !_disposed)
            {
                _lastTurnError = error;
                _logger.LogWarning("ICE {Ufrag}: no relayed candidate: {Error}", LocalUfrag, error);
                var args = new IceCandidateErrorEventArgs(server.ToString(), code, error);
                _events.Post(() => CandidateError?.Invoke(this, args));
            }

            if (!_disposed)
            {
                CheckGatheringComplete();
                UpdateConnectionState();
                RescheduleTimer(Now);
            }
        }
    }

    /// <summary>The server's address: the literal, or the name resolved (an address family this host has first).</summary>
    private static async Task<IPEndPoint> ResolveTurnServerAsync(TurnServer server, IReadOnlyList<IPAddress> localAddresses, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(server.Host, out var literal))
        {
            return new IPEndPoint(literal, server.Port);
        }

        var addresses = await Dns.GetHostAddressesAsync(server.Host, cancellationToken).ConfigureAwait(false);
        var usable = addresses.FirstOrDefault(a => localAddresses.Any(l => l.AddressFamily == a.AddressFamily))
            ?? addresses.FirstOrDefault()
            ?? throw new TurnException($"The TURN server name '{server.Host}' resolves to no address.");
        return new IPEndPoint(usable, server.Port);
    }

    private async Task<ITurnServerLink> ConnectTurnAsync(TurnServer server, IPEndPoint endPoint, IReadOnlyList<IPAddress> localAddresses, CancellationToken cancellationToken)
    {
        if (server.Transport == TurnTransport.Udp)
        {
            var local = localAddresses.FirstOrDefault(a => a.AddressFamily == endPoint.AddressFamily)
                ?? throw new TurnException($"No local {endPoint.AddressFamily} address to reach the TURN server {server} from.");
            return new TurnUdpLink(_socketFactory.Bind(local), endPoint);
        }

        var connector = _options.TcpConnector ?? SystemTcpConnector.Instance;
        var stream = await connector.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        try
        {
            if (server.Transport == TurnTransport.Tls)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = server.Host,
                        RemoteCertificateValidationCallback = _options.TurnCertificateValidation,
                    },
                    cancellationToken).ConfigureAwait(false);
            }

            return new TurnStreamLink(stream, endPoint, _options.LoggerFactory?.CreateLogger<TurnStreamLink>() ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Under the lock: the allocation becomes a relayed candidate whose base is itself (RFC 8445 §5.1.1.2).</summary>
    private void AddRelayedCandidate(TurnAllocation allocation)
    {
        // Type preference 0 for every relay (RFC 8445 §5.1.2.2); among relays UDP before TCP before TLS, like browsers.
        var transportPreference = allocation.Transport switch
        {
            TurnTransport.Udp => 2,
            TurnTransport.Tcp => 1,
            _ => 0,
        };
        var localPreference = (transportPreference << 13) + 0x1FFF - (_relayCount++ * 2);
        var host = new HostSocket(allocation, localPreference);
        var relayed = allocation.LocalEndPoint;
        var hideAddress = _options.TransportPolicy == IceTransportPolicy.Relay || PublishesMdnsNames || allocation.MappedAddress is null;
        var candidate = new IceCandidate(
            Foundation("relay-" + allocation.Transport.ToString().ToLowerInvariant(), relayed.Address, allocation.ServerEndPoint.Address), 1, "udp",
            IcePriority.Candidate(IceCandidateType.Relayed, localPreference),
            relayed.Address.ToString(), relayed.Port, IceCandidateType.Relayed)
        {
            // The related address is the mapped one; with the relay policy or mDNS names the host's address is not revealed (as browsers do).
            RelatedAddress = hideAddress ? (relayed.AddressFamily == AddressFamily.InterNetworkV6 ? "::" : "0.0.0.0") : allocation.MappedAddress!.Address.ToString(),
            RelatedPort = hideAddress ? 0 : allocation.MappedAddress!.Port,
            Extensions = GenerationExtensions(),
        };
        host.Host = new LocalCandidate(candidate, host, relayed);
        _sockets.Add(host);
        _localCandidates.Add(host.Host);
        _logger.LogInformation(
            "ICE {Ufrag}: relayed candidate {Relayed} on {Server} over {Transport}",
            LocalUfrag, relayed, allocation.ServerEndPoint, allocation.Transport.ToString().ToUpper(CultureInfo.InvariantCulture));
        _events.Post(() => LocalCandidateGathered?.Invoke(this, candidate));
        allocation.Start((datagram, remote) => OnDatagram(host, datagram, remote));
        foreach (var remote in _remoteCandidates)
        {
            FormPair(host.Host, remote);
        }

        PaceChecks(Now);
    }

    /// <summary>Stops allocations still in progress and waits for them (on disposal).</summary>
    private async Task StopTurnAsync()
    {
        await _turnStop.CancelAsync().ConfigureAwait(false);
        Task[] tasks;
        lock (_sync)
        {
            tasks = [.. _turnTasks];
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        _turnStop.Dispose();
    }
}
