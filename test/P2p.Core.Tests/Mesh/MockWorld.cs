using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Moq;
using P2p.Core.Mesh;
using P2p.Core.Tests.Support;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;
using P2p.Testing;

namespace P2p.Core.Tests.Mesh;

/// <summary>A connection made by the mocked transport, with the calls P2p.Core made on it.</summary>
public sealed class FakeConnection
{
    public FakeConnection(PeerConnectionContext context, int number, Action changed, string? fingerprint = null)
    {
        var fingerprintLine = fingerprint is null ? "" : $"\r\na=fingerprint:{fingerprint}\r\n";
        Context = context;
        Mock = new Mock<IPeerConnection>();
        var channel = new Mock<IMessageChannel>();
        channel.SetupGet(c => c.MaxMessageSize).Returns(65536);
        channel.SetupGet(c => c.Incoming).Returns(Incoming.Reader);
        channel.Setup(c => c.SendAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>())).Returns((ReadOnlyMemory<byte> m, CancellationToken _) =>
        {
            Sent.Enqueue(m.ToArray());
            changed();
            return ValueTask.CompletedTask;
        });
        Mock.SetupGet(c => c.Channel).Returns(channel.Object);
        Mock.Setup(c => c.CreateOfferAsync(It.IsAny<CancellationToken>())).Returns(() =>
        {
            Record("CreateOffer", changed);
            OnCreateOffer?.Invoke(this);
            return Task.FromResult(new SessionDescriptionPayload("offer", $"sdp-offer-{number}{fingerprintLine}"));
        });
        Mock.Setup(c => c.AcceptOfferAsync(It.IsAny<SessionDescriptionPayload>(), It.IsAny<CancellationToken>())).Returns((SessionDescriptionPayload o, CancellationToken _) =>
        {
            Record("AcceptOffer:" + o.Sdp, changed);
            return Task.FromResult(new SessionDescriptionPayload("answer", $"sdp-answer-{number}{fingerprintLine}"));
        });
        Mock.Setup(c => c.AcceptAnswerAsync(It.IsAny<SessionDescriptionPayload>(), It.IsAny<CancellationToken>())).Returns((SessionDescriptionPayload a, CancellationToken _) =>
        {
            Record("AcceptAnswer:" + a.Sdp, changed);
            return Task.CompletedTask;
        });
        Mock.Setup(c => c.AddRemoteCandidateAsync(It.IsAny<IceCandidatePayload>(), It.IsAny<CancellationToken>())).Returns((IceCandidatePayload c, CancellationToken _) =>
        {
            Record("AddCandidate:" + c.Candidate, changed);
            return Task.CompletedTask;
        });
        Mock.Setup(c => c.DisposeAsync()).Returns(() =>
        {
            Record("Dispose", changed);
            Incoming.Writer.TryComplete();
            return ValueTask.CompletedTask;
        });
    }

    public PeerConnectionContext Context { get; }

    /// <summary>Lets the connection restart ICE: restart offers and answers are recorded like the other calls.</summary>
    public void EnableIceRestart(Action changed, Action<FakeConnection>? duringRestartOffer = null)
    {
        var restarts = 0;
        Mock.SetupGet(c => c.CanRestartIce).Returns(true);
        Mock.Setup(c => c.CreateRestartOfferAsync(It.IsAny<CancellationToken>())).Returns(() =>
        {
            var n = Interlocked.Increment(ref restarts);
            Record("CreateRestartOffer", changed);
            duringRestartOffer?.Invoke(this);
            return Task.FromResult(new SessionDescriptionPayload("offer", $"sdp-restart-offer-{n}"));
        });
        Mock.Setup(c => c.AcceptRestartOfferAsync(It.IsAny<SessionDescriptionPayload>(), It.IsAny<CancellationToken>())).Returns((SessionDescriptionPayload o, CancellationToken _) =>
        {
            var n = Interlocked.Increment(ref restarts);
            Record("AcceptRestartOffer:" + o.Sdp, changed);
            return Task.FromResult(new SessionDescriptionPayload("answer", $"sdp-restart-answer-{n}"));
        });
    }

    public Mock<IPeerConnection> Mock { get; }

    public Channel<ReadOnlyMemory<byte>> Incoming { get; } = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();

    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Every message P2p.Core sent on the channel.</summary>
    public ConcurrentQueue<byte[]> Sent { get; } = new();

    public Action<FakeConnection>? OnCreateOffer { get; set; }

    public bool Disposed => Calls.Contains("Dispose");

    public void RaiseState(PeerConnectionState state) => Mock.Raise(c => c.StateChanged += null, Mock.Object, state);

    public void RaiseCandidate(string candidate) => Mock.Raise(c => c.LocalCandidate += null, Mock.Object, new IceCandidatePayload(candidate, "0", 0));

    private void Record(string call, Action changed)
    {
        Calls.Enqueue(call);
        changed();
    }
}

/// <summary>A P2pService over a mocked signaling channel and a mocked transport, on a fake clock.</summary>
public sealed class MockWorld : IAsyncDisposable
{
    public const string GroupId = "g1";

    public MockWorld(string localId, IReadOnlyList<string>? groupMembers = null, GroupCapability capability = GroupCapability.All, string? owner = null)
    {
        LocalId = localId;
        GroupMembers = groupMembers ?? [localId];
        Signaling.SetupProperty(s => s.RelayHandler);
        Signaling.SetupGet(s => s.UserId).Returns(localId);
        Signaling.Setup(s => s.CreateGroupAsync(It.IsAny<int?>(), It.IsAny<CancellationToken>())).ReturnsAsync(GroupId);
        Signaling.Setup(s => s.JoinGroupAsync(GroupId, It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        Signaling.Setup(s => s.LeaveGroupAsync(GroupId, It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        Signaling.Setup(s => s.GetGroupAsync(GroupId, It.IsAny<CancellationToken>())).Returns(() =>
        {
            BeforeGetGroupReturns?.Invoke();
            return Task.FromResult(new GroupInfo(GroupId, owner ?? GroupMembers[0], (int)capability, GroupMembers));
        });
        Signaling.Setup(s => s.GetMembersAsync(GroupId, It.IsAny<CancellationToken>())).ReturnsAsync(() => GroupMembers);
        Signaling.Setup(s => s.DisposeAsync()).Returns(ValueTask.CompletedTask);
        Signaling.Setup(s => s.RelayAsync(GroupId, It.IsAny<string>(), It.IsAny<JsonElement>(), It.IsAny<CancellationToken>()))
            .Returns((string _, string to, JsonElement data, CancellationToken ct) =>
            {
                Relays.Enqueue((to, data.Clone()));
                Changes.Pulse();
                return OnRelay(to, data, ct);
            });
        Factory.Setup(f => f.CreateConnection(It.IsAny<PeerConnectionContext>())).Returns((PeerConnectionContext context) =>
        {
            var connection = new FakeConnection(context, Connections.Count + 1, Changes.Pulse, LocalFingerprint);
            OnConnectionCreated?.Invoke(connection);
            Connections.Enqueue(connection);
            Changes.Pulse();
            return connection.Mock.Object;
        });
        Service = new P2pService(Signaling.Object, Factory.Object, new P2pOptions
        {
            TimeProvider = Time,
            LoggerFactory = Log,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            RecoveryTimeout = TimeSpan.FromSeconds(10),
            IceRestartInterval = TimeSpan.FromSeconds(3),
            RetryInitialDelay = TimeSpan.FromSeconds(1),
            RetryMaxDelay = TimeSpan.FromSeconds(8),
        });
    }

    public string LocalId { get; }

    public IReadOnlyList<string> GroupMembers { get; set; }

    public FakeTimeProvider Time { get; } = new();

    public TestLog Log { get; } = new();

    public Mock<ISignalingChannel> Signaling { get; } = new();

    public Mock<IPeerConnectionFactory> Factory { get; } = new();

    public P2pService Service { get; }

    public Signal Changes { get; } = new();

    public ConcurrentQueue<(string To, JsonElement Data)> Relays { get; } = new();

    public ConcurrentQueue<FakeConnection> Connections { get; } = new();

    public ConcurrentQueue<string> Events { get; } = new();

    /// <summary>What a relay returns: by default an offer never gets an answer (until cancelled), a candidate gets true.</summary>
    public Func<string, JsonElement, CancellationToken, Task<JsonElement>> OnRelay { get; set; } = DefaultRelay;

    public Action<FakeConnection>? OnConnectionCreated { get; set; }

    /// <summary>When set, the fake SDPs carry <c>a=fingerprint:</c> this value (<c>"sha-256 AB:…"</c>).</summary>
    public string? LocalFingerprint { get; set; }

    /// <summary>The options of the group this world joins or creates.</summary>
    public GroupOptions? GroupOptions { get; set; }

    public Action? BeforeGetGroupReturns { get; set; }

    public IGroup Group { get; private set; } = null!;

    internal MeshGroup MeshGroup => (MeshGroup)Group;

    public async Task<IGroup> JoinAsync()
    {
        Group = await Service.JoinGroupAsync(GroupId, GroupOptions);
        Watch();
        return Group;
    }

    /// <summary>
    /// Joins a group whose one earlier member is <paramref name="member"/>, which answers every offer with
    /// <c>sdp-{member}</c>; returns the connection once it is reported connected.
    /// </summary>
    public async Task<FakeConnection> JoinAndConnectToAsync(string member)
    {
        OnRelay = (to, data, ct) => Task.FromResult(data.GetProperty("type").GetString() == "offer" ? Answer($"sdp-{member}") : JsonSerializer.SerializeToElement(true));
        await JoinAsync();
        await UntilAsync(() => Connections.Count == 1 && Connections.Single().Calls.Contains($"AcceptAnswer:sdp-{member}"), "the answer");
        var connection = Connections.Single();
        connection.RaiseState(PeerConnectionState.Connected);
        await UntilAsync(() => Group.GetMember(member)!.State == PeerState.Connected, $"{member} connected");
        return connection;
    }

    public async Task<IGroup> CreateAsync(GroupCapability capability = GroupCapability.All)
    {
        Group = await Service.CreateGroupAsync(capability, GroupOptions);
        Watch();
        return Group;
    }

    public ValueTask<JsonElement> RelayFrom(string from, object data) =>
        Signaling.Object.RelayHandler!(new RelayRequest(GroupId, from, JsonSerializer.SerializeToElement(data)), CancellationToken.None);

    public static object Offer(string sdp) => new { type = "offer", sdp };

    public static object Candidate(string candidate) => new { type = "candidate", candidate, sdpMid = "0", sdpMLineIndex = 0 };

    public static JsonElement Answer(string sdp) => JsonSerializer.SerializeToElement(new { type = "answer", sdp });

    public void RaiseMemberJoined(string userId) => Signaling.Raise(s => s.MemberJoined += null, Signaling.Object, new SignalingMemberEventArgs(GroupId, userId));

    public void RaiseMemberLeft(string userId) => Signaling.Raise(s => s.MemberLeft += null, Signaling.Object, new SignalingMemberEventArgs(GroupId, userId));

    public IEnumerable<(string To, JsonElement Data)> RelaysOfType(string type) => Relays.Where(r => r.Data.GetProperty("type").GetString() == type);

    public FakeConnection[] ConnectionsTo(string remote) => [.. Connections.Where(c => c.Context.RemoteUserId == remote)];

    public Task UntilAsync(Func<bool> condition, string what) => Changes.UntilAsync(condition, what, TimeSpan.FromSeconds(10));

    /// <summary>
    /// Moves the fake clock in <paramref name="step"/>s until <paramref name="condition"/> holds (giving background work a
    /// moment to react after each step), failing once <paramref name="limit"/> of fake time has passed. For timers armed
    /// by background work at a moment the test cannot observe. Returns the fake time it took.
    /// </summary>
    public async Task<TimeSpan> AdvanceUntilAsync(Func<bool> condition, TimeSpan step, TimeSpan limit, string what)
    {
        var advanced = TimeSpan.Zero;
        while (!condition())
        {
            if (advanced >= limit)
            {
                Assert.Fail($"{what} did not happen within {limit} of fake time.");
            }

            Time.Advance(step);
            advanced += step;
            await Changes.TryUntilAsync(condition, TimeSpan.FromMilliseconds(50));
        }

        return advanced;
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        if (Group is MeshGroup group)
        {
            Assert.That(group.Work.Count, Is.Zero, "background work left running");
        }
    }

    private static Task<JsonElement> DefaultRelay(string to, JsonElement data, CancellationToken cancellationToken)
    {
        if (data.GetProperty("type").GetString() == "candidate")
        {
            return Task.FromResult(JsonSerializer.SerializeToElement(true));
        }

        var never = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellationToken.Register(() => never.TrySetCanceled(cancellationToken));
        return never.Task;
    }

    private void Watch()
    {
        Group.MemberJoined += (_, e) => { Events.Enqueue($"joined {e.Peer.Id}"); Changes.Pulse(); };
        Group.MemberLeft += (_, e) => { Events.Enqueue($"left {e.Peer.Id}"); Changes.Pulse(); };
        Group.MemberStateChanged += (_, e) => { Events.Enqueue($"{e.Peer.Id} {e.State}"); Changes.Pulse(); };
    }
}
