using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// A TURN server (RFC 8656) over UDP on a <see cref="VirtualHost"/>, for testing a TURN client in virtual time. It
/// authenticates with long-term credentials (RFC 8489 §9.2: 401 with REALM and NONCE, then MESSAGE-INTEGRITY with
/// MD5(user:realm:password); 438 with a new NONCE once a nonce expires); handles Allocate, Refresh, CreatePermission
/// and ChannelBind, each response signed with MESSAGE-INTEGRITY and FINGERPRINT as coturn does; relays Send
/// indications and ChannelData to peers and peers' datagrams back as Data indications or ChannelData, through one
/// relay socket per allocation on the server's host; answers Binding requests like a <see cref="VirtualStunServer"/>.
/// Allocations, permissions and channels expire on the network's clock. Give the client <see cref="EndPoint"/> and a
/// user added with <see cref="AddUser"/>.
/// </summary>
/// <remarks>
/// Knobs for tests: <see cref="RejectAllCredentials"/>, <see cref="FailRequest"/> and <see cref="RequestFilter"/>,
/// <see cref="NonceLifetime"/> and <see cref="ExpireNonces"/>, <see cref="DefaultLifetime"/> and
/// <see cref="MaxLifetime"/>, <see cref="AllocationQuota"/> (486). Inspection: <see cref="Counters"/>,
/// <see cref="GetAllocations"/>. Not supported: TCP and TLS to the server, IPv6, PASSWORD-ALGORITHMS and
/// MESSAGE-INTEGRITY-SHA256, reservations (RESERVATION-TOKEN, EVEN-PORT with R set: 508), the TURN REST credential scheme.
/// </remarks>
public sealed partial class VirtualTurnServer : IDisposable
{
    /// <summary>The default TURN port over UDP (RFC 8656 §3.1): 3478.</summary>
    public const int DefaultPort = 3478;

    /// <summary>The realm unless set otherwise.</summary>
    public const string DefaultRealm = "p2p.test";

    /// <summary>The nonce lifetime unless set otherwise: 10 minutes (coturn's default).</summary>
    public static readonly TimeSpan DefaultNonceLifetime = TimeSpan.FromMinutes(10);

    private readonly Lock _sync = new();
    private readonly VirtualHost _host;
    private readonly VirtualSocket _socket;
    private readonly VirtualTurnAuthenticator _auth;
    private readonly Dictionary<IPEndPoint, VirtualTurnAllocation> _allocations = [];
    private readonly Dictionary<long, int> _failures = [];
    private readonly byte[] _buffer = new byte[ushort.MaxValue + 128];
    private ITimer? _timer;
    private TimeSpan _timerDue = TimeSpan.MaxValue;
    private bool _disposed;

    /// <summary>Starts a server on <paramref name="host"/>.</summary>
    /// <param name="host">The host (normally on the Internet).</param>
    /// <param name="port">The port: 3478 by default.</param>
    /// <param name="address">Which of the host's addresses to listen on; its first when <see langword="null"/>.</param>
    /// <param name="relayAddress">Which of the host's addresses the relay sockets bind; the listening address when <see langword="null"/>.</param>
    /// <exception cref="SocketException">An address is not the host's, or the port is taken.</exception>
    public VirtualTurnServer(VirtualHost host, int port = DefaultPort, IPAddress? address = null, IPAddress? relayAddress = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        RelayAddress = relayAddress ?? address ?? host.Address;
        if (!host.Addresses.Contains(RelayAddress))
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }

        _socket = host.BindSocket(address ?? host.Address, port);
        _auth = new VirtualTurnAuthenticator(unchecked((host.Network.Seed * 31) + port));
        _socket.Start(OnServerDatagram);
    }

    /// <summary>The server's transport address (clients send their requests here).</summary>
    public IPEndPoint EndPoint => _socket.LocalEndPoint;

    /// <summary>The address relayed transport addresses are on.</summary>
    public IPAddress RelayAddress { get; }

    /// <summary>The network.</summary>
    public VirtualNetwork Network => _host.Network;

    /// <summary>What the server has seen and done.</summary>
    public VirtualTurnCounters Counters { get; } = new();

    /// <summary>The REALM (RFC 8489 §14.9); <see cref="DefaultRealm"/> unless set.</summary>
    public string Realm
    {
        get { lock (_sync) { return _auth.Realm; } }
        set { ArgumentException.ThrowIfNullOrEmpty(value); lock (_sync) { _auth.Realm = value; } }
    }

    /// <summary>How long a NONCE stays valid before a request carrying it gets 438 Stale Nonce; <see cref="Timeout.InfiniteTimeSpan"/> for ever.</summary>
    public TimeSpan NonceLifetime
    {
        get { lock (_sync) { return _auth.NonceLifetime; } }
        set { lock (_sync) { _auth.NonceLifetime = value; } }
    }

    /// <summary>Refuse every credential (401), as if the user were unknown.</summary>
    public bool RejectAllCredentials
    {
        get { lock (_sync) { return _auth.RejectAll; } }
        set { lock (_sync) { _auth.RejectAll = value; } }
    }

    /// <summary>The lifetime of an allocation when the client asks for none or for less (RFC 8656 §7.2): 10 minutes.</summary>
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The longest lifetime granted (RFC 8656 §7.2): 1 hour.</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The lifetime of a permission (RFC 8656 §9: 300 s, not negotiable).</summary>
    public TimeSpan PermissionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The lifetime of a channel binding (RFC 8656 §12: 10 minutes).</summary>
    public TimeSpan ChannelLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>After a channel binding expires, how long its number and its peer may not be bound to anything else (RFC 8656 §12: 5 minutes).</summary>
    public TimeSpan ChannelCooldown { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most allocations one user may hold at once; another Allocate gets 486 Allocation Quota Reached.</summary>
    public int AllocationQuota { get; set; } = int.MaxValue;

    /// <summary>The SOFTWARE attribute of every response, or <see langword="null"/> for none.</summary>
    public string? Software { get; set; } = "P2p.WebRtc.Testing VirtualTurnServer";

    /// <summary>
    /// Called for every request before anything else: a result of 300–699 answers it with that error code (unsigned),
    /// 0 leaves it unanswered, <see langword="null"/> lets it through. It runs under the server's lock, on the delivering
    /// thread: it must not call the server.
    /// </summary>
    public Func<VirtualTurnRequestInfo, int?>? RequestFilter { get; set; }

    /// <summary>The number of live allocations.</summary>
    public int AllocationCount
    {
        get { lock (_sync) { return _allocations.Count; } }
    }

    /// <summary>Adds a user (or changes its password).</summary>
    /// <param name="username">The user name.</param>
    /// <param name="password">The password.</param>
    public void AddUser(string username, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(password);
        lock (_sync)
        {
            _auth.SetUser(username, password);
        }
    }

    /// <summary>Removes a user: its next request gets 401 (its allocations live on until they expire).</summary>
    /// <param name="username">The user name.</param>
    /// <returns>Whether it existed.</returns>
    public bool RemoveUser(string username)
    {
        lock (_sync)
        {
            return _auth.RemoveUser(username);
        }
    }

    /// <summary>Answers request number <paramref name="number"/> (1-based, counting every request the server receives) with an error, unsigned.</summary>
    /// <param name="number">Which request; see <see cref="VirtualTurnCounters.Requests"/> for how many came so far.</param>
    /// <param name="errorCode">300–699, or 0 to leave the request unanswered; 500 Server Error by default.</param>
    public void FailRequest(long number, int errorCode = StunErrorCodes.ServerError)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(number, 1);
        if (errorCode != 0 && errorCode is < 300 or > 699)
        {
            throw new ArgumentOutOfRangeException(nameof(errorCode), errorCode, "An error code is 300–699 (or 0: no answer).");
        }

        lock (_sync)
        {
            _failures[number] = errorCode;
        }
    }

    /// <summary>Makes every nonce issued so far stale: the next authenticated request of each client gets 438 and a new NONCE.</summary>
    public void ExpireNonces()
    {
        lock (_sync)
        {
            _auth.ExpireNonces();
        }
    }

    /// <summary>Snapshots of the live allocations, ordered by client address.</summary>
    /// <returns>The snapshots.</returns>
    public IReadOnlyList<VirtualTurnAllocationInfo> GetAllocations()
    {
        lock (_sync)
        {
            var now = Network.Now;
            return [.. _allocations.Values.OrderBy(a => a.Client.ToString(), StringComparer.Ordinal).Select(a => a.Snapshot(now))];
        }
    }

    /// <summary>A snapshot of the allocation of a client, if it has a live one.</summary>
    /// <param name="client">The client's transport address as the server sees it.</param>
    /// <returns>The snapshot, or <see langword="null"/>.</returns>
    public VirtualTurnAllocationInfo? FindAllocation(IPEndPoint client)
    {
        lock (_sync)
        {
            return _allocations.TryGetValue(client, out var a) ? a.Snapshot(Network.Now) : null;
        }
    }

    /// <summary>Stops the server: its socket and every relay socket close.</summary>
    public void Dispose()
    {
        VirtualTurnAllocation[] allocations;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
            _timer = null;
            allocations = [.. _allocations.Values];
            _allocations.Clear();
        }

        _socket.Dispose();
        foreach (var a in allocations)
        {
            a.Relay.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"TURN server {EndPoint}";

    private static IPEndPoint ToEndPoint(SocketAddress remote) => (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(remote);

    /// <summary>The listening socket: ChannelData (first two bits 01, RFC 8656 §12.4) or STUN.</summary>
    private void OnServerDatagram(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        var client = ToEndPoint(remote);
        List<VirtualSocket>? closed = null;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            if (datagram.Length >= 4 && (datagram[0] & 0xC0) == 0x40)
            {
                OnChannelDataFromClient(client, datagram);
            }
            else if (StunMessage.TryParse(datagram, out var message) != StunParseResult.Success)
            {
                Counters.CountDropped(VirtualTurnDropReason.Malformed);
            }
            else if (message.Class == StunMessageClass.Request)
            {
                OnRequest(message, client, ref closed);
            }
            else if (message.Class == StunMessageClass.Indication && message.Method == StunMethod.Send)
            {
                OnSendIndication(message, client);
            }
            else
            {
                Counters.CountDropped(VirtualTurnDropReason.Malformed);
            }
        }

        Close(closed);
    }

    /// <summary>Outside the lock (closing waits for the network's delivery to finish).</summary>
    private static void Close(List<VirtualSocket>? sockets)
    {
        foreach (var socket in sockets ?? [])
        {
            socket.Dispose();
        }
    }
}
