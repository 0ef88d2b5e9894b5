using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc.Net;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Ice;

/// <summary>
/// A full ICE agent (RFC 8445) for one data stream with one component (BUNDLE, rtcp-mux: what a
/// WebRTC data channel uses), with trickle ICE (RFC 8838) and consent freshness (RFC 7675).
/// </summary>
/// <remarks>
/// <para>Use: create, subscribe to <see cref="LocalCandidateGathered"/> (send each candidate to the
/// peer), <see cref="StartGathering"/>, give it the peer's credentials
/// (<see cref="SetRemoteCredentials"/>) and candidates (<see cref="AddRemoteCandidate(IceCandidate)"/>,
/// in any order, at any time), then await <see cref="ConnectAsync"/> and use <see cref="Transport"/>.</para>
/// <para>Threading: every method may be called from any thread. Events are raised one at a time, in
/// order, on a background task, never under the agent's lock (a handler may call the agent).
/// Datagrams are received on one dedicated thread per local socket.</para>
/// </remarks>
public sealed partial class IceAgent : IAsyncDisposable
{
    private readonly Lock _sync = new();
    private readonly IceAgentOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IDatagramSocketFactory _socketFactory;
    private readonly long _created;
    private readonly IceEventDispatcher _events;
    private byte[] _localKey;
    private byte[] _localUsernamePrefix;
    private readonly List<HostSocket> _sockets = [];
    private readonly List<LocalCandidate> _localCandidates = [];
    private readonly List<RemoteCandidate> _remoteCandidates = [];
    private readonly Dictionary<EndpointKey, RemoteCandidate> _remoteByKey = [];
    private readonly List<CandidatePair> _checkList = [];
    private readonly Queue<CandidatePair> _triggered = new();
    private readonly Dictionary<StunTransactionId, StunTransaction> _transactions = [];
    private readonly IceDatagramTransport _transport;
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _timer;
    private string? _remoteUfrag;
    private byte[]? _remoteKey;
    private IceRole _role;
    private IceConnectionState _state = IceConnectionState.New;
    private IceGatheringState _gatheringState = IceGatheringState.New;
    private CandidatePair? _selected;
    private CandidatePair? _nominating;
    private volatile SelectedPath? _path;
    private bool _remoteEndOfCandidates;
    private TimeSpan _remoteEndOfCandidatesAt;
    private bool _checksStopped;
    private bool _remoteCandidatesCapped;
    private int _peerReflexiveLearned;
    private bool _peerReflexiveCapped;
    private bool _disposed;
    private TimeSpan _lastCheckSent = TimeSpan.MinValue;
    private TimeSpan? _firstValidAt;
    private TimeSpan? _firstCheckSent;
    private TimeSpan? _selectedAt;
    private int _prflxCounter;
    private long _checksSent;
    private long _checksReceived;
    private long _stunDropped;

    /// <summary>Creates an agent. Nothing is bound or sent until <see cref="StartGathering"/>.</summary>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public IceAgent(IceAgentOptions? options = null)
    {
        _options = options ?? new IceAgentOptions();
        _options.Validate();
        _logger = _options.LoggerFactory?.CreateLogger<IceAgent>() ?? NullLogger<IceAgent>.Instance;
        _time = _options.TimeProvider;
        _socketFactory = _options.SocketFactory ?? new UdpDatagramSocketFactory(_options.SocketBufferSize, _logger);
        _created = _time.GetTimestamp();
        LocalUfrag = _options.LocalUfrag ?? IceCredentials.NewUfrag();
        LocalPassword = _options.LocalPassword ?? IceCredentials.NewPassword();
        _localKey = StunCredentials.ShortTermKey(LocalPassword);
        _localUsernamePrefix = Encoding.UTF8.GetBytes(LocalUfrag + ":");
        _role = _options.Role;
        TieBreaker = _options.TieBreaker ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        _events = new IceEventDispatcher(_logger);
        _transport = new IceDatagramTransport(this, _options.MaxDatagramSize);
    }

    /// <summary>Raised for each local candidate as it is gathered (trickle ICE): signal it to the peer.</summary>
    public event EventHandler<IceCandidate>? LocalCandidateGathered;

    /// <summary>Raised when <see cref="GatheringState"/> changes; <see cref="IceGatheringState.Complete"/> means end-of-candidates.</summary>
    public event EventHandler<IceGatheringState>? GatheringStateChanged;

    /// <summary>Raised when <see cref="ConnectionState"/> changes.</summary>
    public event EventHandler<IceConnectionState>? ConnectionStateChanged;

    /// <summary>
    /// Raised when the selected pair changes (the data path moves to it), and when the peer signals the remote candidate
    /// of the selected pair after it was learned from a check: the path stays, its description changes (peer-reflexive to
    /// the signalled type and address, e.g. an mDNS name that resolved late).
    /// </summary>
    public event EventHandler<IceCandidatePairInfo>? SelectedPairChanged;

    /// <summary>Raised when role-conflict resolution (RFC 8445 §7.3.1.1, §7.2.5.1) changes the role.</summary>
    public event EventHandler<IceRole>? RoleChanged;

    /// <summary>Raised with the outcome of each STUN server binding during gathering, redundant mappings included.</summary>
    public event EventHandler<IceServerReflexiveResult>? ServerReflexiveResult;

    /// <summary>The local username fragment (<c>a=ice-ufrag</c>); a new one after each <see cref="Restart"/>.</summary>
    public string LocalUfrag { get; private set; }

    /// <summary>The local password (<c>a=ice-pwd</c>); a new one after each <see cref="Restart"/>.</summary>
    public string LocalPassword { get; private set; }

    /// <summary>The tie-breaker used in role conflicts.</summary>
    public ulong TieBreaker { get; }

    /// <summary>The current role.</summary>
    public IceRole Role
    {
        get
        {
            lock (_sync)
            {
                return _role;
            }
        }
    }

    /// <summary>The connection state.</summary>
    public IceConnectionState ConnectionState
    {
        get
        {
            lock (_sync)
            {
                return _state;
            }
        }
    }

    /// <summary>The gathering state.</summary>
    public IceGatheringState GatheringState
    {
        get
        {
            lock (_sync)
            {
                return _gatheringState;
            }
        }
    }

    /// <summary>The selected pair, or <see langword="null"/> before one is selected.</summary>
    public IceCandidatePairInfo? SelectedPair
    {
        get
        {
            lock (_sync)
            {
                return _selected?.ToInfo();
            }
        }
    }

    /// <summary>
    /// The datagram path over the selected pair: non-STUN datagrams (RFC 7983: first byte 20–63) from
    /// validated remote addresses go to its receive handler; <see cref="IDatagramTransport.Send"/> goes
    /// to the selected pair once connected. It closes when ICE fails or the agent is disposed.
    /// </summary>
    public IDatagramTransport Transport => _transport;

    /// <summary>The receive threads (for tests).</summary>
    internal IReadOnlyList<Thread> ReceiveThreads
    {
        get
        {
            lock (_sync)
            {
                return _sockets.Select(s => (s.Socket as UdpSocketEndpoint)?.ReceiveThread).OfType<Thread>().ToArray();
            }
        }
    }

    /// <summary>The local socket addresses (for tests).</summary>
    internal IReadOnlyList<IPEndPoint> LocalEndPoints
    {
        get
        {
            lock (_sync)
            {
                return _sockets.Select(s => s.EndPoint).ToArray();
            }
        }
    }

    private TimeSpan Now => _time.GetElapsedTime(_created);

    /// <summary>The data path of the selected pair, read without locking by the transport.</summary>
    internal SelectedPath? CurrentPath => _path;

    internal void PostEvent(Action action) => _events.Post(action);

    /// <summary>Sets the peer's ICE credentials (<c>a=ice-ufrag</c>, <c>a=ice-pwd</c>); checks start once they are known.</summary>
    /// <param name="ufrag">The peer's username fragment.</param>
    /// <param name="password">The peer's password.</param>
    /// <exception cref="ArgumentException">Empty values.</exception>
    /// <exception cref="InvalidOperationException">Different credentials were set before in this generation (to change them, <see cref="Restart"/> first).</exception>
    public void SetRemoteCredentials(string ufrag, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(ufrag);
        ArgumentException.ThrowIfNullOrEmpty(password);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_remoteUfrag is not null)
            {
                if (_remoteUfrag == ufrag && _remoteKey!.AsSpan().SequenceEqual(StunCredentials.ShortTermKey(password)))
                {
                    return;
                }

                throw new InvalidOperationException("The remote credentials of this ICE generation are already set; restart ICE (Restart) to change them.");
            }

            _remoteUfrag = ufrag;
            _staleRemoteUfrags.Remove(ufrag);
            _remoteKey = StunCredentials.ShortTermKey(password);
            _logger.LogDebug("ICE {Ufrag}: remote credentials set ({RemoteUfrag})", LocalUfrag, ufrag);

            // Candidates that named another generation's ufrag do not belong to this session.
            foreach (var stale in _remoteCandidates.Where(r => r.Candidate.Ufrag is { } u && u != ufrag).ToArray())
            {
                RemoveRemote(stale);
            }

            PaceChecks(Now);
            UpdateConnectionState();
        }
    }

    /// <summary>
    /// Adds a remote candidate (trickled or from the SDP). Candidates may come before or after the
    /// credentials. A host candidate named by an mDNS <c>.local</c> name is added once the name resolves
    /// (<see cref="IceAgentOptions.Mdns"/>); ICE does not fail while a resolution is pending. Ignored (and logged):
    /// other components than 1, non-UDP, other host names, names that do not resolve, duplicates, candidates of
    /// another ufrag.
    /// </summary>
    /// <param name="candidate">The candidate.</param>
    public void AddRemoteCandidate(IceCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            AddRemoteLocked(candidate);
        }
    }

    /// <summary>Parses and adds a remote candidate (<c>candidate:…</c>, with or without <c>a=</c>).</summary>
    /// <param name="candidate">The candidate line.</param>
    /// <exception cref="SdpParseException">The line is malformed.</exception>
    public void AddRemoteCandidate(string candidate) => AddRemoteCandidate(IceCandidate.Parse(candidate));

    /// <summary>The peer has no more candidates (<c>a=end-of-candidates</c>, RFC 8838 §13): lets the agent fail when every pair failed.</summary>
    public void AddRemoteEndOfCandidates()
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_remoteEndOfCandidates)
            {
                _remoteEndOfCandidates = true;
                _remoteEndOfCandidatesAt = Now;
            }

            UpdateConnectionState();
        }
    }

    /// <summary>Waits until a pair is selected (<see cref="IceConnectionState.Connected"/>).</summary>
    /// <param name="cancellationToken">Cancels the wait (not the agent).</param>
    /// <returns>The selected pair.</returns>
    /// <exception cref="IceConnectionFailedException">ICE failed.</exception>
    /// <exception cref="ObjectDisposedException">The agent was disposed.</exception>
    public async Task<IceCandidatePairInfo> ConnectAsync(CancellationToken cancellationToken = default)
    {
        await _connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return SelectedPair ?? throw new IceConnectionFailedException("ICE connection lost.");
    }

    /// <summary>The local candidates gathered so far (peer-reflexive ones included).</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<IceCandidate> GetLocalCandidates()
    {
        lock (_sync)
        {
            return _localCandidates.Select(c => c.Candidate).ToArray();
        }
    }

    /// <summary>The remote candidates known so far (peer-reflexive ones included).</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<IceCandidate> GetRemoteCandidates()
    {
        lock (_sync)
        {
            return _remoteCandidates.Select(c => c.Candidate).ToArray();
        }
    }

    /// <summary>The check list, highest priority first.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<IceCandidatePairInfo> GetCandidatePairs()
    {
        lock (_sync)
        {
            return _checkList.OrderByDescending(p => p.Priority).Select(p => p.ToInfo()).ToArray();
        }
    }

    /// <summary>Counters and timings.</summary>
    /// <returns>A snapshot.</returns>
    public IceAgentStatistics GetStatistics()
    {
        lock (_sync)
        {
            return new IceAgentStatistics(
                Interlocked.Read(ref _checksSent),
                Interlocked.Read(ref _checksReceived),
                Interlocked.Read(ref _stunDropped),
                _transport.Sent,
                _transport.Received,
                _transport.Dropped,
                _firstCheckSent,
                _selectedAt);
        }
    }

    /// <summary>Stops every timer, thread and socket; the state becomes <see cref="IceConnectionState.Closed"/>.</summary>
    /// <returns>A task that completes when everything has stopped and pending events were raised.</returns>
    public async ValueTask DisposeAsync()
    {
        HostSocket[] sockets;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
            _timer = null;
            _path = null;
            _transactions.Clear();
            _triggered.Clear();
            SetState(IceConnectionState.Closed);
            _transport.Close(null);
            sockets = [.. _sockets, .. _retiredSockets];
            _retiredSockets.Clear();
        }

        await StopTurnAsync().ConfigureAwait(false); // allocations in progress end and are deleted
        foreach (var s in sockets)
        {
            s.Socket.Dispose(); // joins the receive thread; never under the lock (the thread may wait for it)
        }

        await DisposeMdnsAsync().ConfigureAwait(false);
        _connected.TrySetException(new ObjectDisposedException(nameof(IceAgent)));
        await _events.CompleteAsync().ConfigureAwait(false);
    }

    private void SetState(IceConnectionState state)
    {
        if (_state == state)
        {
            return;
        }

        _logger.LogDebug("ICE {Ufrag}: {Old} -> {New}", LocalUfrag, _state, state);
        _state = state;
        _events.Post(() => ConnectionStateChanged?.Invoke(this, state));
        switch (state)
        {
            case IceConnectionState.Connected or IceConnectionState.Completed:
                _connected.TrySetResult();
                break;
            case IceConnectionState.Failed:
                _connected.TrySetException(new IceConnectionFailedException("ICE failed: no candidate pair works."));
                break;
        }
    }

    private void SetGatheringState(IceGatheringState state)
    {
        if (_gatheringState == state)
        {
            return;
        }

        _gatheringState = state;
        _events.Post(() => GatheringStateChanged?.Invoke(this, state));
    }

    /// <summary>Recomputes the connection state from the check list (under the lock).</summary>
    private void UpdateConnectionState()
    {
        if (_state is IceConnectionState.Failed or IceConnectionState.Closed)
        {
            return;
        }

        if (_selected is not null)
        {
            if (_state == IceConnectionState.Disconnected)
            {
                return; // consent freshness decides (RFC 7675)
            }

            var done = _remoteEndOfCandidates && _gatheringState == IceGatheringState.Complete
                && !_checkList.Exists(p => p.State == IceCandidatePairState.InProgress && p.Current is { Cancelled: false });
            SetState(done ? IceConnectionState.Completed : IceConnectionState.Connected);
            return;
        }

        if (_state == IceConnectionState.New && _remoteKey is not null && (_checkList.Count > 0 || _firstCheckSent is not null))
        {
            SetState(IceConnectionState.Checking);
        }

        // Every pair failed and no more can come: neither side has candidates left (RFC 8445 §8.1.2, RFC 8838 §8).
        // With no pair at all, wait a while: a check from the peer may still create a peer-reflexive pair.
        if (_remoteKey is not null && _remoteEndOfCandidates && _gatheringState == IceGatheringState.Complete
            && _triggered.Count == 0 && !MdnsResolutionPending && _checkList.TrueForAll(p => p.State == IceCandidatePairState.Failed)
            && (_checkList.Count > 0 || Now - _remoteEndOfCandidatesAt >= _options.EmptyCheckListTimeout))
        {
            _logger.LogInformation("ICE {Ufrag}: failed, all {Count} pairs failed", LocalUfrag, _checkList.Count);
            Fail(new IceConnectionFailedException("ICE failed: every candidate pair failed."));
        }
    }

    private void Fail(Exception reason)
    {
        _connected.TrySetException(reason); // ConnectAsync throws the specific reason, not the generic one
        SetState(IceConnectionState.Failed);
        _path = null;
        _timer?.Dispose();
        _timer = null;
        _transactions.Clear();
        _transport.Close(reason);
        if (_gatheringState == IceGatheringState.Gathering)
        {
            SetGatheringState(IceGatheringState.Complete); // pending STUN server bindings were abandoned
        }
    }

    internal sealed class SelectedPath(HostSocket socket, RemoteCandidate remote)
    {
        public HostSocket Socket { get; } = socket;

        public RemoteCandidate Remote { get; } = remote;
    }
}
