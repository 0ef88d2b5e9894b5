using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Ice;

/// <summary>Candidate gathering: host candidates (RFC 8445 §5.1.1.1) and server-reflexive ones (§5.1.1.2).</summary>
public sealed partial class IceAgent
{
    /// <summary>
    /// Binds one UDP socket per selected local address (host candidates, reported at once through
    /// <see cref="LocalCandidateGathered"/>) and asks each configured STUN server for a
    /// server-reflexive address. Calling it again does nothing, except after a
    /// <see cref="Restart"/>: then it gathers the new generation's candidates on the addresses the host has now.
    /// </summary>
    public void StartGathering()
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_gatheringState != IceGatheringState.New)
            {
                return;
            }

            SetGatheringState(IceGatheringState.Gathering);
            var addresses = SelectAddresses(_socketFactory.GetLocalAddresses(), _options.AddressFilter);
            var relayOnly = _options.TransportPolicy == IceTransportPolicy.Relay;
            var v4 = 0;
            var v6 = 0;
            foreach (var address in relayOnly ? [] : addresses)
            {
                IDatagramSocket socket;
                try
                {
                    socket = _socketFactory.Bind(address);
                }
                catch (SocketException e)
                {
                    _logger.LogWarning("ICE {Ufrag}: cannot bind {Address}: {Error}", LocalUfrag, address, e.SocketErrorCode);
                    continue;
                }

                // RFC 8445 §5.1.2.1: a distinct local preference per address; IPv6 first (RFC 8421 §4).
                var localPreference = address.AddressFamily == AddressFamily.InterNetworkV6 ? 0xFFFF - (v6++ * 2) : 0x7FFF - (v4++ * 2);
                var host = new HostSocket(socket, localPreference);
                var candidate = new IceCandidate(
                    Foundation("host", address, null), 1, "udp", IcePriority.Candidate(IceCandidateType.Host, localPreference),
                    address.ToString(), socket.LocalEndPoint.Port, IceCandidateType.Host)
                {
                    Extensions = GenerationExtensions(),
                };
                candidate = PublishHostCandidateLocked(candidate, address);
                host.Host = new LocalCandidate(candidate, host, socket.LocalEndPoint);
                _sockets.Add(host);
                _localCandidates.Add(host.Host);
                _logger.LogDebug("ICE {Ufrag}: host candidate {EndPoint}", LocalUfrag, socket.LocalEndPoint);
                _events.Post(() => LocalCandidateGathered?.Invoke(this, candidate));
                socket.Start((datagram, remote) => OnDatagram(host, datagram, remote));
                foreach (var remote in _remoteCandidates)
                {
                    FormPair(host.Host, remote);
                }
            }

            if (addresses.Count == 0)
            {
                _logger.LogWarning("ICE {Ufrag}: no usable local address; no candidates", LocalUfrag);
            }

            if (_timer is null)
            {
                _timer = _time.CreateTimer(_ => OnTimer(), null, _options.CheckInterval, _options.CheckInterval);
            }
            else
            {
                _timerIdle = false; // a restart's gathering: tick every Ta again
                _timer.Change(_options.CheckInterval, _options.CheckInterval);
            }

            StartTurnAllocations(addresses);
            foreach (var host in _sockets)
            {
                foreach (var server in _options.StunServers)
                {
                    if (server.AddressFamily == host.Family)
                    {
                        StartServerBinding(host, server);
                    }
                }
            }

            CheckGatheringComplete();
            PaceChecks(Now);
            UpdateConnectionState();
        }
    }

    /// <summary>The addresses that get a host candidate (see <see cref="IceAgentOptions.AddressFilter"/>).</summary>
    internal static List<IPAddress> SelectAddresses(IReadOnlyList<IPAddress> all, Func<IPAddress, bool>? filter)
    {
        if (filter is not null)
        {
            return all.Where(filter).ToList();
        }

        var usable = all.Where(a => !IPAddress.IsLoopback(a) && !IsLinkLocal(a) && !a.IsIPv4MappedToIPv6 && !a.IsIPv6Multicast).ToList();
        return usable.Count > 0 ? usable : all.Where(IPAddress.IsLoopback).ToList();
    }

    private static bool IsLinkLocal(IPAddress a)
    {
        if (a.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return a.IsIPv6LinkLocal || a.IsIPv6SiteLocal;
        }

        Span<byte> b = stackalloc byte[4];
        a.TryWriteBytes(b, out _);
        return b[0] == 169 && b[1] == 254;
    }

    /// <summary>RFC 8445 §5.1.1.3: the same type, base address, STUN server and transport give the same foundation.</summary>
    private static string Foundation(string type, IPAddress baseAddress, IPAddress? server) =>
        Crc32.HashToUInt32(Encoding.UTF8.GetBytes($"{type}|{baseAddress}|{server}|udp")).ToString(CultureInfo.InvariantCulture);

    private void StartServerBinding(HostSocket host, IPEndPoint server)
    {
        // RFC 8489 §6.1 / RFC 8445 §5.1.1.2: a plain Binding request, FINGERPRINT for demultiplexing.
        var id = StunTransactionId.NewRandom();
        Span<byte> buffer = stackalloc byte[64];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, id);
        w.AddFingerprint();
        var now = Now;
        var tx = new StunTransaction(id, StunTransactionKind.ServerBinding, host, server, w.Written.ToArray())
        {
            Rto = _options.InitialRto,
            Deadline = now + _options.StunServerTimeout,
        };
        _transactions[id] = tx;
        _logger.LogDebug("ICE {Ufrag}: STUN binding {Base} -> {Server}", LocalUfrag, host.EndPoint, server);
        Transmit(tx, now);
    }

    /// <summary>A server binding finished: maybe a server-reflexive candidate, unless redundant (RFC 8445 §5.1.3).</summary>
    private void OnServerReflexive(StunTransaction tx, IPEndPoint? mapped, string? error)
    {
        _transactions.Remove(tx.Id);
        var host = tx.Socket;
        var redundant = mapped is not null && (mapped.Equals(host.EndPoint)
            || _localCandidates.Exists(c => c.Base == host && c.Candidate.Type == IceCandidateType.ServerReflexive && c.EndPoint.Equals(mapped)));
        if (mapped is null)
        {
            _logger.LogInformation("ICE {Ufrag}: STUN server {Server} gave no mapping for {Base}: {Error}", LocalUfrag, tx.Destination, host.EndPoint, error);
        }
        else
        {
            _logger.LogInformation(
                "ICE {Ufrag}: STUN server {Server} mapped {Base} to {Mapped}{Note}",
                LocalUfrag, tx.Destination, host.EndPoint, mapped, redundant ? " (redundant with an existing candidate: eliminated, RFC 8445 §5.1.3)" : string.Empty);
        }

        var result = new IceServerReflexiveResult(host.EndPoint, tx.Destination, mapped, redundant, error);
        _events.Post(() => ServerReflexiveResult?.Invoke(this, result));
        if (mapped is not null && !redundant)
        {
            var candidate = new IceCandidate(
                Foundation("srflx", host.EndPoint.Address, tx.Destination.Address), 1, "udp",
                IcePriority.Candidate(IceCandidateType.ServerReflexive, host.LocalPreference),
                mapped.Address.ToString(), mapped.Port, IceCandidateType.ServerReflexive)
            {
                RelatedAddress = host.EndPoint.Address.ToString(),
                RelatedPort = host.EndPoint.Port,
                Extensions = GenerationExtensions(),
            };

            candidate = HideRelatedAddressLocked(candidate);

            // RFC 8445 §6.1.2.4: a server-reflexive local candidate is replaced by its base for pairing,
            // which already pairs as the host candidate; it is only signalled.
            _localCandidates.Add(new LocalCandidate(candidate, host, mapped));
            _events.Post(() => LocalCandidateGathered?.Invoke(this, candidate));
        }

        CheckGatheringComplete();
    }

    private void CheckGatheringComplete()
    {
        if (_gatheringState != IceGatheringState.Gathering)
        {
            return;
        }

        if (_turnPending > 0)
        {
            return;
        }

        foreach (var tx in _transactions.Values)
        {
            if (tx.Kind == StunTransactionKind.ServerBinding)
            {
                return;
            }
        }

        _logger.LogDebug("ICE {Ufrag}: gathering complete ({Count} candidates)", LocalUfrag, _localCandidates.Count);
        SetGatheringState(IceGatheringState.Complete);
        if (_sockets.Count == 0)
        {
            // Nothing to send from and nothing to receive on: no check can ever succeed.
            _logger.LogWarning("ICE {Ufrag}: failed, no local candidate at all", LocalUfrag);
            Fail(new IceConnectionFailedException(_lastTurnError is null
                ? "ICE failed: no local candidate (no usable local address, and no TURN server gave a relayed one)."
                : "ICE failed: no local candidate. " + _lastTurnError));
            return;
        }

        UpdateConnectionState();
    }
}
