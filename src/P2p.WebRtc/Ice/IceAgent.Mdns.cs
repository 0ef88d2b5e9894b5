using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Mdns;
using P2p.WebRtc.Sdp;

namespace P2p.WebRtc.Ice;

/// <summary>
/// mDNS host names (draft-ietf-mmusic-mdns-ice-candidates, RFC 6762): remote <c>.local</c> host candidates are
/// resolved before they are paired, and with <see cref="MdnsMode.ResolveAndPublish"/> local host candidates are
/// signalled under random <c>&lt;uuid&gt;.local</c> names answered by the agent's own responder.
/// </summary>
public sealed partial class IceAgent
{
    /// <summary>At most this many candidates wait for one name's resolution.</summary>
    private const int MaxCandidatesPerName = 16;

    private readonly Dictionary<string, IPAddress[]> _mdnsResolved = new(DnsName.Comparer);
    private readonly Dictionary<string, List<IceCandidate>> _mdnsPending = new(DnsName.Comparer);
    private readonly HashSet<string> _mdnsIgnored = new(DnsName.Comparer);
    private readonly CancellationTokenSource _mdnsStop = new();
    private MdnsResolver? _mdnsResolver;
    private MdnsResponder? _mdnsResponder;

    /// <summary>True while a remote host name is being resolved: ICE does not fail meanwhile (under the lock).</summary>
    private bool MdnsResolutionPending => _mdnsPending.Count > 0;

    private bool PublishesMdnsNames => _options.Mdns.Mode == MdnsMode.ResolveAndPublish;

    /// <summary>A remote candidate whose address is a host name (under the lock): resolved when it is a <c>.local</c> name, else ignored.</summary>
    private void ResolveHostNameLocked(IceCandidate c)
    {
        var name = MdnsNames.Normalize(c.Address);
        if (_options.Mdns.Mode == MdnsMode.Disabled || !MdnsNames.IsLocal(name))
        {
            if (_mdnsIgnored.Count < _options.Mdns.MaxNames && _mdnsIgnored.Add(name))
            {
                _logger.LogInformation(
                    "ICE {Ufrag}: ignoring remote candidates with host name {Name} ({Reason})",
                    LocalUfrag, name, _options.Mdns.Mode == MdnsMode.Disabled ? "mDNS is disabled" : "only .local names are resolved");
            }

            return;
        }

        if (_mdnsResolved.TryGetValue(name, out var known))
        {
            foreach (var address in known)
            {
                AddRemoteLocked(c, address);
            }

            return;
        }

        if (_mdnsPending.TryGetValue(name, out var waiting))
        {
            if (waiting.Count < MaxCandidatesPerName)
            {
                waiting.Add(c);
            }

            return;
        }

        if (_mdnsResolved.Count + _mdnsPending.Count >= _options.Mdns.MaxNames)
        {
            if (_mdnsIgnored.Count < _options.Mdns.MaxNames && _mdnsIgnored.Add(name))
            {
                _logger.LogWarning("ICE {Ufrag}: not resolving {Name}: {Max} names resolved already", LocalUfrag, name, _options.Mdns.MaxNames);
            }

            return;
        }

        _mdnsPending[name] = [c];
        _mdnsResolver ??= new MdnsResolver(
            _options.Mdns with { TimeProvider = _time, LoggerFactory = _options.LoggerFactory },
            _sockets.Select(s => s.EndPoint.Address).Distinct().ToArray(),
            _logger);
        _logger.LogDebug("ICE {Ufrag}: resolving {Name}", LocalUfrag, name);
        var resolver = _mdnsResolver;
        _ = Task.Run(() => ResolveAndAddAsync(resolver, name)); // sockets are opened and queries sent off the agent's lock
    }

    private async Task ResolveAndAddAsync(MdnsResolver resolver, string name)
    {
        IReadOnlyList<IPAddress> addresses = [];
        try
        {
            addresses = await resolver.ResolveAsync(name, _mdnsStop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            return; // the agent is closing
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "ICE {Ufrag}: resolving {Name} failed", LocalUfrag, name);
        }

        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            // An IPv6 link-local answer has no scope to send to; an unspecified or multicast one is nonsense.
            var usable = addresses
                .Where(a => !a.IsIPv6LinkLocal && !a.IsIPv6Multicast && !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any))
                .Take(4)
                .ToArray();
            _mdnsResolved[name] = usable;
            _mdnsPending.Remove(name, out var candidates);
            if (usable.Length == 0)
            {
                _logger.LogInformation(
                    "ICE {Ufrag}: could not resolve {Name} ({Queries} mDNS queries in {Timeout}); its candidates are ignored",
                    LocalUfrag, name, _options.Mdns.QueryCount, _options.Mdns.ResolutionTimeout);
            }
            else
            {
                _logger.LogDebug("ICE {Ufrag}: {Name} resolved to {Addresses}", LocalUfrag, name, string.Join(", ", (object[])usable));
            }

            foreach (var c in candidates ?? [])
            {
                foreach (var address in usable)
                {
                    AddRemoteLocked(c, address);
                }
            }

            UpdateConnectionState(); // a failure may have waited for this resolution
        }
    }

    /// <summary>
    /// A new local host candidate (under the lock): with <see cref="MdnsMode.ResolveAndPublish"/> the signalled
    /// candidate carries a new random <c>.local</c> name, which the agent's responder answers with <paramref name="address"/>.
    /// </summary>
    private IceCandidate PublishHostCandidateLocked(IceCandidate candidate, IPAddress address)
    {
        if (!PublishesMdnsNames)
        {
            return candidate;
        }

        _mdnsResponder ??= new MdnsResponder(_options.Mdns with { LoggerFactory = _options.LoggerFactory }, _logger);
        var name = MdnsNames.NewRandom();

        // Even when the responder cannot answer on that interface, the address is not revealed (as browsers do):
        // the peer still learns it as a peer-reflexive candidate from our checks.
        _mdnsResponder.Publish(name, address);
        _logger.LogDebug("ICE {Ufrag}: host candidate {Address} signalled as {Name}", LocalUfrag, address, name);
        return WithAddress(candidate, name, candidate.RelatedAddress, candidate.RelatedPort);
    }

    /// <summary>A server-reflexive candidate's related address is the host address: hidden when publishing names (0.0.0.0 / :: and port 0, as browsers do).</summary>
    private IceCandidate HideRelatedAddressLocked(IceCandidate candidate)
    {
        if (!PublishesMdnsNames || candidate.RelatedAddress is null)
        {
            return candidate;
        }

        var unspecified = candidate.IPAddress?.AddressFamily == AddressFamily.InterNetworkV6 ? "::" : "0.0.0.0";
        return WithAddress(candidate, candidate.Address, unspecified, 0);
    }

    private static IceCandidate WithAddress(IceCandidate c, string address, string? relatedAddress, int? relatedPort) =>
        new(c.Foundation, c.Component, c.Transport, c.Priority, address, c.Port, c.Type)
        {
            RelatedAddress = relatedAddress,
            RelatedPort = relatedPort,
            TcpType = c.TcpType,
            Extensions = c.Extensions,
        };

    /// <summary>Stops resolutions and the responder (which says goodbye for the published names).</summary>
    private async ValueTask DisposeMdnsAsync()
    {
        MdnsResolver? resolver;
        MdnsResponder? responder;
        lock (_sync)
        {
            resolver = _mdnsResolver;
            responder = _mdnsResponder;
        }

        await _mdnsStop.CancelAsync().ConfigureAwait(false);
        if (resolver is not null)
        {
            await resolver.DisposeAsync().ConfigureAwait(false);
        }

        if (responder is not null)
        {
            await responder.DisposeAsync().ConfigureAwait(false);
        }

        _mdnsStop.Dispose();
    }
}
