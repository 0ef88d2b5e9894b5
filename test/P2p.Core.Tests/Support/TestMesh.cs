using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using P2p.Core.Mesh;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;
using P2p.Testing;

namespace P2p.Core.Tests.Support;

/// <summary>
/// A real signaling server, an in-memory network, and members that join groups over WebSocket signaling.
/// Disposal checks that no background work and no connection is left behind.
/// </summary>
public sealed class TestMesh : IAsyncDisposable
{
    private readonly List<TestMember> _members = [];

    private TestMesh(EmbeddedSignalingServer server) => Server = server;

    public EmbeddedSignalingServer Server { get; }

    public InMemoryNetwork Network { get; } = new();

    public TestLog Log { get; } = new();

    /// <summary>Writes the mesh's log to the test output when the current test failed (call it from a [TearDown]).</summary>
    public void PrintLogIfTestFailed()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status != NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            return;
        }

        foreach (var entry in Log.Entries)
        {
            TestContext.Out.WriteLine(entry);
        }
    }

    public IReadOnlyList<TestMember> Members => _members;

    public P2pOptions Options { get; set; } = new();

    /// <summary>Starts the server; a crashed member's grace period (kept in its groups for a resume) is 1 s here.</summary>
    public static async Task<TestMesh> StartAsync()
    {
        var mesh = new TestMesh(await SignalingServer.StartAsync(o => o.ResumeGracePeriod = TimeSpan.FromSeconds(1)));
        mesh.Options = new P2pOptions
        {
            LoggerFactory = mesh.Log,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RetryInitialDelay = TimeSpan.FromMilliseconds(20),
            RetryMaxDelay = TimeSpan.FromMilliseconds(500),
            LeaveTimeout = TimeSpan.FromSeconds(5),
        };
        return mesh;
    }

    /// <summary>A member with a signaling connection and a service, not yet in a group.</summary>
    public async Task<TestMember> ConnectAsync(Action<GroupOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(Server.Uri, CancellationToken.None);
        var signaling = WebSocketSignalingChannel.FromWebSocket(socket);
        var member = new TestMember(this, socket, new P2pService(signaling, Network, Options), configure);
        lock (_members)
        {
            _members.Add(member);
        }

        return member;
    }

    public async Task<TestMember> CreateAsync(GroupCapability capability = GroupCapability.All, Action<GroupOptions>? configure = null)
    {
        var member = await ConnectAsync(configure);
        await member.CreateAsync(capability);
        return member;
    }

    public async Task<TestMember> JoinAsync(string groupId, Action<GroupOptions>? configure = null)
    {
        var member = await ConnectAsync(configure);
        await member.JoinAsync(groupId);
        return member;
    }

    /// <summary>An owner and <paramref name="count"/> − 1 members joining concurrently, then a full mesh.</summary>
    public async Task<TestMember[]> FormAsync(int count, GroupCapability capability = GroupCapability.All, Action<GroupOptions>? configure = null)
    {
        var owner = await CreateAsync(capability, configure);
        var others = await Task.WhenAll(Enumerable.Range(1, count - 1).Select(_ => JoinAsync(owner.Group.Id, configure)));
        TestMember[] all = [owner, .. others];
        await WaitForFullMeshAsync(all);
        return all;
    }

    public static Task WaitForFullMeshAsync(IReadOnlyCollection<TestMember> members) =>
        Task.WhenAll(members.Select(m => m.Changes.UntilAsync(
            () => m.Group.Members.Count == members.Count - 1 && m.Group.Members.All(p => p.State == PeerState.Connected),
            $"{m.Id} to be connected to all {members.Count - 1} others (has {string.Join(", ", m.Group.Members)})")));

    public async ValueTask DisposeAsync()
    {
        TestMember[] members;
        lock (_members)
        {
            members = [.. _members];
        }

        var groups = members.Select(m => m.MeshGroup).Where(g => g is not null).ToArray();
        await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        await Server.DisposeAsync();
        Assert.Multiple(() =>
        {
            foreach (var group in groups)
            {
                Assert.That(group!.Work.Count, Is.Zero, $"background tasks left running in {group.LocalId}'s group");
                Assert.That(group.IsClosed, Is.True);
            }

            Assert.That(Network.OpenConnectionCount, Is.Zero, "connections left open");
            Assert.That(Network.ConcurrentSendSeen, Is.False, "P2p.Core sent concurrently on one channel");
            Assert.That(Network.EarlyCandidateSeen, Is.False, "P2p.Core added a candidate before the remote description");
        });
    }
}

/// <summary>A member of a test mesh: records what it receives, answers requests with "id:request".</summary>
public sealed class TestMember : IAsyncDisposable
{
    private readonly TestMesh _mesh;
    private readonly ClientWebSocket _socket;
    private readonly GroupOptions _options;

    internal TestMember(TestMesh mesh, ClientWebSocket socket, P2pService service, Action<GroupOptions>? configure)
    {
        _mesh = mesh;
        _socket = socket;
        Service = service;
        _options = new GroupOptions
        {
            MessageHandler = (from, data, ct) =>
            {
                Broadcasts.Enqueue((from.Id, data.ToArray()));
                Changes.Pulse();
                return ValueTask.CompletedTask;
            },
            RequestHandler = (from, data, ct) =>
                ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes($"{Id}:").Concat(data.ToArray()).ToArray()),
        };
        configure?.Invoke(_options);
    }

    public P2pService Service { get; }

    public IGroup Group { get; private set; } = null!;

    internal MeshGroup? MeshGroup => Group as MeshGroup;

    public string Id => Service.Info!.Id;

    public ConcurrentQueue<(string From, byte[] Data)> Broadcasts { get; } = new();

    public ConcurrentQueue<string> Events { get; } = new();

    public Signal Changes { get; } = new();

    public async Task CreateAsync(GroupCapability capability)
    {
        Group = await Service.CreateGroupAsync(capability, _options);
        Watch();
    }

    public async Task JoinAsync(string groupId)
    {
        Group = await Service.JoinGroupAsync(groupId, _options);
        Watch();
    }

    /// <summary>A crash: the signaling socket drops and every connection of this member dies.</summary>
    public void Crash()
    {
        _socket.Abort();
        _mesh.Network.Crash(Id);
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        _socket.Dispose();
    }

    private void Watch()
    {
        Group.MemberJoined += (_, e) => { Events.Enqueue($"joined {e.Peer.Id}"); Changes.Pulse(); };
        Group.MemberLeft += (_, e) => { Events.Enqueue($"left {e.Peer.Id}"); Changes.Pulse(); };
        Group.MemberStateChanged += (_, e) => { Events.Enqueue($"{e.Peer.Id} {e.State}"); Changes.Pulse(); };
        Changes.Pulse();
    }
}
