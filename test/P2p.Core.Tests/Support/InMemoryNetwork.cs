using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Tests.Support;

/// <summary>What goes wrong between two members on an <see cref="InMemoryNetwork"/>.</summary>
public enum InMemoryFault
{
    /// <summary>Nothing: they connect.</summary>
    None,

    /// <summary>The connection fails as soon as both sides are ready (like ICE finding no route).</summary>
    Fail,

    /// <summary>The connection never completes (like a silent black hole): only a timeout ends it.</summary>
    Hang,
}

/// <summary>
/// An in-memory transport for P2p.Core: connections are paired by the session id in their "SDP" once both
/// sides have the other's description and a matching candidate. It advertises and enforces a maximum
/// message size, keeps order, applies back-pressure (a bounded queue per direction: SendAsync waits while
/// the receiver does not read), closes both ends together, and can fail, hang or crash connections.
/// Shared with bench/P2p.Benchmarks/Core (linked source).
/// </summary>
public sealed class InMemoryNetwork : IPeerConnectionFactory
{
    private readonly ConcurrentDictionary<string, InMemoryConnection> _sessions = new();
    private readonly ConcurrentQueue<InMemoryConnection> _all = new();

    /// <summary>The <c>a=max-message-size</c> every connection advertises (default 16 KiB, to exercise fragmentation).</summary>
    public int MaxMessageSize { get; set; } = 16 * 1024;

    /// <summary>How many messages wait in one direction before the sender is held back (default 32).</summary>
    public int QueueCapacity { get; set; } = 32;

    /// <summary>Decides the fate of a connection between two members (either side's context); default none.</summary>
    public Func<PeerConnectionContext, InMemoryFault>? Fault { get; set; }

    /// <summary>Set when P2p.Core ever called a channel's SendAsync concurrently (it promises not to).</summary>
    public bool ConcurrentSendSeen { get; internal set; }

    /// <summary>Set when P2p.Core added a candidate before the remote description (it promises not to).</summary>
    public bool EarlyCandidateSeen { get; internal set; }

    private readonly TaskCompletionSource _backPressure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes the first time a sender had to wait because the receiver's queue was full.</summary>
    public Task BackPressure => _backPressure.Task;

    internal void SignalBackPressure() => _backPressure.TrySetResult();

    /// <summary>Every connection created so far.</summary>
    public IReadOnlyCollection<InMemoryConnection> Connections => [.. _all];

    /// <summary>Connections neither closed nor failed.</summary>
    public int OpenConnectionCount => _all.Count(c => c.State is not (PeerConnectionState.Closed or PeerConnectionState.Failed));

    /// <inheritdoc />
    public IPeerConnection CreateConnection(PeerConnectionContext context)
    {
        var connection = new InMemoryConnection(this, context);
        _sessions[connection.Session] = connection;
        _all.Enqueue(connection);
        return connection;
    }

    /// <summary>Kills every live connection of <paramref name="userId"/> (a crashed process): both ends fail.</summary>
    public void Crash(string userId)
    {
        foreach (var c in _all.Where(c => c.Context.LocalUserId == userId))
        {
            c.Fail();
        }
    }

    /// <summary>Kills the live connections between two members: both ends fail.</summary>
    public void Sever(string a, string b)
    {
        foreach (var c in _all.Where(c => (c.Context.LocalUserId == a && c.Context.RemoteUserId == b) || (c.Context.LocalUserId == b && c.Context.RemoteUserId == a)))
        {
            c.Fail();
        }
    }

    internal void TryConnect(InMemoryConnection connection)
    {
        if (connection.RemoteSession is not { } remoteSession || !_sessions.TryGetValue(remoteSession, out var peer))
        {
            return;
        }

        lock (this)
        {
            if (!connection.IsReady || !peer.IsReady || peer.RemoteSession != connection.Session || connection.State != PeerConnectionState.Connecting || peer.State != PeerConnectionState.Connecting)
            {
                return;
            }

            var fault = Fault is { } decide ? Max(decide(connection.Context), decide(peer.Context)) : InMemoryFault.None;
            if (fault == InMemoryFault.Hang)
            {
                return;
            }

            if (fault == InMemoryFault.Fail)
            {
                connection.Fail();
                peer.Fail();
                return;
            }

            connection.ChannelImpl.Remote = peer.ChannelImpl;
            peer.ChannelImpl.Remote = connection.ChannelImpl;
        }

        connection.SetState(PeerConnectionState.Connected);
        peer.SetState(PeerConnectionState.Connected);
    }

    private static InMemoryFault Max(InMemoryFault a, InMemoryFault b) => (InMemoryFault)Math.Max((int)a, (int)b);
}

/// <summary>One end of an in-memory connection.</summary>
public sealed partial class InMemoryConnection : IPeerConnection
{
    private readonly InMemoryNetwork _network;
    private int _state = (int)PeerConnectionState.New;

    internal InMemoryConnection(InMemoryNetwork network, PeerConnectionContext context)
    {
        _network = network;
        Context = context;
        ChannelImpl = new InMemoryChannel(network) { Owner = this };
    }

    /// <summary>What P2p.Core said about the connection.</summary>
    public PeerConnectionContext Context { get; }

    /// <summary>This end's session id (in its SDP and candidates).</summary>
    public string Session { get; } = Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public PeerConnectionState State => (PeerConnectionState)Volatile.Read(ref _state);

    /// <summary>What <see cref="GetStatistics"/> reports (null: nothing measured, like a transport without statistics).</summary>
    public PeerConnectionStatistics? Statistics { get; set; }

    /// <inheritdoc />
    public PeerConnectionStatistics? GetStatistics() => Statistics;

    /// <inheritdoc />
    public IMessageChannel Channel => ChannelImpl;

    /// <inheritdoc />
    public event EventHandler<PeerConnectionState>? StateChanged;

    /// <inheritdoc />
    public event EventHandler<IceCandidatePayload>? LocalCandidate;

    internal InMemoryChannel ChannelImpl { get; }

    internal string? RemoteSession { get; private set; }

    internal bool IsReady { get; private set; }

    /// <inheritdoc />
    public Task<SessionDescriptionPayload> CreateOfferAsync(CancellationToken cancellationToken)
    {
        SetState(PeerConnectionState.Connecting);
        LocalCandidate?.Invoke(this, Candidate()); // gathered before the caller even has the offer
        return Task.FromResult(new SessionDescriptionPayload(SessionDescriptionPayload.OfferType, Sdp()));
    }

    /// <inheritdoc />
    public Task<SessionDescriptionPayload> AcceptOfferAsync(SessionDescriptionPayload offer, CancellationToken cancellationToken)
    {
        SetRemote(offer, SessionDescriptionPayload.OfferType);
        SetState(PeerConnectionState.Connecting);
        LocalCandidate?.Invoke(this, Candidate()); // usually overtakes the answer
        LocalCandidate?.Invoke(this, new IceCandidatePayload("", "0", 0)); // end of candidates
        return Task.FromResult(new SessionDescriptionPayload(SessionDescriptionPayload.AnswerType, Sdp()));
    }

    /// <inheritdoc />
    public Task AcceptAnswerAsync(SessionDescriptionPayload answer, CancellationToken cancellationToken)
    {
        SetRemote(answer, SessionDescriptionPayload.AnswerType);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task AddRemoteCandidateAsync(IceCandidatePayload candidate, CancellationToken cancellationToken)
    {
        if (RemoteSession is null)
        {
            _network.EarlyCandidateSeen = true;
            throw new InvalidOperationException("addIceCandidate before setRemoteDescription.");
        }

        if (candidate.Candidate.Length > 0 && CandidateSession().Match(candidate.Candidate) is { Success: true } m && m.Groups[1].Value == RemoteSession)
        {
            IsReady = true;
            _network.TryConnect(this);
        }

        return Task.CompletedTask;
    }

    /// <summary>Fails this end and its peer (channel closed with an error).</summary>
    public void Fail()
    {
        if (State is PeerConnectionState.Closed or PeerConnectionState.Failed)
        {
            return;
        }

        SetState(PeerConnectionState.Failed);
        ChannelImpl.Close(new IOException("The in-memory connection failed."));
        ChannelImpl.Remote?.Owner?.Fail();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (State is not (PeerConnectionState.Closed or PeerConnectionState.Failed))
        {
            SetState(PeerConnectionState.Closed);
            ChannelImpl.Close(null);
            if (ChannelImpl.Remote?.Owner is { } remote && remote.State is not (PeerConnectionState.Closed or PeerConnectionState.Failed))
            {
                remote.SetState(PeerConnectionState.Closed);
                remote.ChannelImpl.Close(null);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Moves to <paramref name="state"/> unless already there or in a terminal state (closed, failed).</summary>
    internal void SetState(PeerConnectionState state)
    {
        while (true)
        {
            var current = Volatile.Read(ref _state);
            if (current == (int)state || current is (int)PeerConnectionState.Closed or (int)PeerConnectionState.Failed)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, (int)state, current) == current)
            {
                StateChanged?.Invoke(this, state);
                return;
            }
        }
    }

    private void SetRemote(SessionDescriptionPayload description, string type)
    {
        if (description.Type != type || SdpSession().Match(description.Sdp) is not { Success: true } session)
        {
            throw new InvalidOperationException($"Not an in-memory {type}.");
        }

        RemoteSession = session.Groups[1].Value;
        var size = SdpMaxMessageSize().Match(description.Sdp);
        var max = size.Success ? int.Parse(size.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 65536;
        ChannelImpl.MaxMessageSize = max == 0 ? int.MaxValue : max;
        _network.TryConnect(this);
    }

    private string Sdp() =>
        $"v=0\r\no=- {Session} 1 IN IP4 127.0.0.1\r\ns=-\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=max-message-size:{_network.MaxMessageSize}\r\na=fingerprint:sha-256 {Fingerprint}\r\n";

    /// <summary>This end's fake certificate fingerprint (in its SDP): colon-separated hex of its session id.</summary>
    private string Fingerprint => string.Join(':', Enumerable.Range(0, 16).Select(i => Session.Substring(i * 2, 2).ToUpperInvariant()));

    private IceCandidatePayload Candidate() => new($"candidate:1 1 inmem {Session} 1 typ host", "0", 0);

    [GeneratedRegex(@"o=- (\w+) ")]
    private static partial Regex SdpSession();

    [GeneratedRegex(@"a=max-message-size:(\d+)")]
    private static partial Regex SdpMaxMessageSize();

    [GeneratedRegex(@"inmem (\w+) ")]
    private static partial Regex CandidateSession();
}

/// <summary>The message channel of an in-memory connection.</summary>
public sealed class InMemoryChannel : IMessageChannel
{
    private readonly InMemoryNetwork _network;
    private readonly Channel<ReadOnlyMemory<byte>> _incoming;
    private int _sending;
    private int _closed;

    internal InMemoryChannel(InMemoryNetwork network)
    {
        _network = network;
        _incoming = System.Threading.Channels.Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(network.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <inheritdoc />
    public int MaxMessageSize { get; internal set; } = 65536;

    /// <inheritdoc />
    public ChannelReader<ReadOnlyMemory<byte>> Incoming => _incoming.Reader;

    /// <inheritdoc />
    public event EventHandler? Closed;

    /// <summary>How many messages this end sent.</summary>
    public long SentMessages => Interlocked.Read(ref _sentMessages);

    internal InMemoryChannel? Remote { get; set; }

    internal InMemoryConnection? Owner { get; set; }

    private long _sentMessages;

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closed) != 0 || Remote is not { } remote)
        {
            throw new InvalidOperationException("The channel is not open.");
        }

        if (message.Length > MaxMessageSize)
        {
            throw new ArgumentException($"The message ({message.Length} bytes) exceeds the remote's max-message-size ({MaxMessageSize}).", nameof(message));
        }

        if (Interlocked.Exchange(ref _sending, 1) != 0)
        {
            _network.ConcurrentSendSeen = true;
        }

        try
        {
            var copy = message.ToArray();
            if (!remote._incoming.Writer.TryWrite(copy))
            {
                _network.SignalBackPressure();
                await remote._incoming.Writer.WriteAsync(copy, cancellationToken).ConfigureAwait(false);
            }

            Interlocked.Increment(ref _sentMessages);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The channel closed.", ex);
        }
        finally
        {
            Volatile.Write(ref _sending, 0);
        }
    }

    internal void Close(Exception? error)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _incoming.Writer.TryComplete(error);
        Remote?._incoming.Writer.TryComplete(error);
        Closed?.Invoke(this, EventArgs.Empty);
    }
}
