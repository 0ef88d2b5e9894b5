using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace P2p.WebRtc.Mdns;

/// <summary>
/// A small mDNS responder (RFC 6762) for the names an ICE agent publishes: it answers A, AAAA and ANY questions
/// for names it owns, and only those, on port 5353 (shared with other responders through address reuse), with
/// the cache-flush bit and a short TTL (<see cref="MdnsOptions.RecordTtl"/>). QM questions get a multicast
/// answer out of the interface of the published address, QU questions a unicast one (RFC 6762 §5.4), and
/// one-shot queries from another port than 5353 a unicast reply with their id and questions and a TTL of at
/// most 10 s (§6.7). Disposing it sends goodbyes (TTL 0, §10.1) and closes the sockets.
/// </summary>
/// <remarks>Not done: probing and conflict resolution (§8, §9; random UUID names do not collide), announcements, known-answer suppression.</remarks>
public sealed class MdnsResponder : IAsyncDisposable
{
    private static readonly TimeSpan LegacyTtl = TimeSpan.FromSeconds(10);
    private readonly MdnsOptions _options;
    private readonly ILogger _logger;
    private readonly IMdnsSocketFactory _factory;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, List<IPAddress>> _names = new(DnsName.Comparer);
    private readonly Dictionary<AddressFamily, MdnsSocket?> _sockets = [];
    private bool _disposed;
    private int _answers;

    /// <summary>Creates a responder; sockets are opened when the first name is published.</summary>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <param name="logger">Where to log; <see cref="MdnsOptions.LoggerFactory"/>'s when <see langword="null"/>.</param>
    public MdnsResponder(MdnsOptions? options = null, ILogger? logger = null)
    {
        _options = options ?? new MdnsOptions();
        _options.Validate();
        _logger = logger ?? _options.LoggerFactory?.CreateLogger<MdnsResponder>() ?? NullLogger<MdnsResponder>.Instance;
        _factory = _options.SocketFactory ?? SystemMdnsSocketFactory.Instance;
    }

    /// <summary>Responses sent so far (for tests).</summary>
    public int AnswersSent => Volatile.Read(ref _answers);

    /// <summary>Publishes <paramref name="address"/> under a new random <c>&lt;uuid&gt;.local</c> name.</summary>
    /// <param name="address">A local address (its interface answers).</param>
    /// <returns>The name.</returns>
    public string Publish(IPAddress address)
    {
        var name = MdnsNames.NewRandom();
        Publish(name, address);
        return name;
    }

    /// <summary>
    /// Answers for <paramref name="name"/> with <paramref name="address"/> (a name may have several addresses).
    /// Returns false (logged) when no socket of the address's family could listen on port 5353 or join the group
    /// on its interface: the name is then owned but cannot be answered there.
    /// </summary>
    /// <param name="name">A <c>.local</c> name.</param>
    /// <param name="address">A local address.</param>
    /// <returns>Whether queries arriving on the address's interface can be answered.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid <c>.local</c> name.</exception>
    public bool Publish(string name, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!MdnsNames.IsLocal(name))
        {
            throw new ArgumentException($"\"{name}\" is not a .local name.", nameof(name));
        }

        name = MdnsNames.Normalize(name);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_names.TryGetValue(name, out var addresses))
            {
                _names[name] = addresses = [];
            }

            if (!addresses.Contains(address))
            {
                addresses.Add(address);
            }

            var socket = SocketFor(address.AddressFamily);
            var joined = socket is not null && socket.Join(address);
            if (!joined)
            {
                _logger.LogWarning("mDNS: {Name} ({Address}) is published but cannot be answered: no multicast on that interface", name, address);
            }
            else
            {
                _logger.LogDebug("mDNS: publishing {Name} -> {Address}", name, address);
            }

            return joined;
        }
    }

    /// <summary>Stops answering for <paramref name="name"/>.</summary>
    /// <param name="name">A published name.</param>
    public void Unpublish(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_sync)
        {
            _names.Remove(MdnsNames.Normalize(name));
        }
    }

    /// <summary>Sends goodbyes for the published names and closes the sockets.</summary>
    /// <returns>A task that completes when the receive loops have stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        List<MdnsSocket> sockets;
        List<DnsRecord> goodbyes;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            sockets = _sockets.Values.OfType<MdnsSocket>().ToList();
            goodbyes = _names.SelectMany(n => n.Value.Select(a => DnsRecord.ForAddress(n.Key, a, 0, cacheFlush: true))).ToList();
            _names.Clear();
        }

        foreach (var socket in sockets)
        {
            foreach (var group in goodbyes.Where(r => r.Address!.AddressFamily == socket.Family).GroupBy(r => r.Address!))
            {
                socket.SendMulticast(DnsMessageWriter.Response(0, [], group.ToList()), group.Key);
            }

            await socket.DisposeAsync().ConfigureAwait(false);
        }
    }

    private MdnsSocket? SocketFor(AddressFamily family)
    {
        if (!_sockets.TryGetValue(family, out var socket))
        {
            socket = MdnsSocket.TryOpen(_factory, family, requirePort5353: true, _logger);
            socket?.Start((datagram, source) => OnDatagram(socket, datagram, source));
            _sockets[family] = socket;
        }

        return socket;
    }

    private void OnDatagram(MdnsSocket socket, ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        if (!DnsMessage.TryParse(datagram.Span, out var query) || query.Header.IsResponse || query.Header.Opcode != 0 || query.Header.ResponseCode != 0)
        {
            return;
        }

        var legacy = source.Port != MdnsEndPoints.Port;
        var multicast = new List<DnsRecord>();
        var unicast = new List<DnsRecord>();
        var echoed = new List<DnsQuestion>();
        var ttl = (uint)(legacy ? Min(_options.RecordTtl, LegacyTtl) : _options.RecordTtl).TotalSeconds;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var q in query.Questions)
            {
                if (q.Class != DnsQuestion.ClassIn || q.Type is not (DnsRecordType.A or DnsRecordType.Aaaa or DnsRecordType.Any)
                    || !_names.TryGetValue(q.Name, out var addresses))
                {
                    continue;
                }

                foreach (var a in addresses)
                {
                    var family = a.AddressFamily == AddressFamily.InterNetworkV6 ? DnsRecordType.Aaaa : DnsRecordType.A;
                    if (q.Type != DnsRecordType.Any && q.Type != family)
                    {
                        continue;
                    }

                    // Legacy replies must not set cache-flush (RFC 6762 §6.7).
                    var record = DnsRecord.ForAddress(q.Name, a, ttl, cacheFlush: !legacy);
                    (legacy || q.UnicastResponse ? unicast : multicast).Add(record);
                }

                if (legacy)
                {
                    echoed.Add(q);
                }
            }
        }

        if (unicast.Count > 0)
        {
            var reply = DnsMessageWriter.Response(legacy ? query.Header.Id : (ushort)0, echoed, unicast);
            socket.SendTo(reply, source);
            Interlocked.Increment(ref _answers);
            _logger.LogDebug("mDNS: answered {Names} to {Source} (unicast)", string.Join(", ", unicast.Select(r => r.Name).Distinct()), source);
        }

        // A multicast answer leaves through the interface of the address it carries.
        foreach (var group in multicast.GroupBy(r => r.Address!))
        {
            if (socket.Family == group.Key.AddressFamily && socket.SendMulticast(DnsMessageWriter.Response(0, [], group.ToList()), group.Key))
            {
                Interlocked.Increment(ref _answers);
                _logger.LogDebug("mDNS: answered {Name} (multicast via {Address}) to a query from {Source}", group.First().Name, group.Key, source);
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
