using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using P2p.Core;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Testing.Network;

namespace P2p.Transport.WebRtc.Tests.Recovery;

/// <summary>
/// A group of .NET members whose WebRTC connections run over a <see cref="VirtualNetwork"/> on the system clock (so a
/// test can cut a member's link or move its address), signalled through the real signaling server on 127.0.0.1
/// (which the network's faults do not touch). Every member uses the SDK's default recovery settings unless told otherwise.
/// </summary>
internal sealed class VirtualMesh : IAsyncDisposable
{
    private readonly ILoggerFactory _logging;
    private readonly P2pOptions _service;
    private readonly List<MeshMember> _members = [];

    private VirtualMesh(EmbeddedSignalingServer server, ILoggerFactory logging, P2pOptions service, int seed)
    {
        Server = server;
        _logging = logging;
        _service = service;
        Net = new VirtualNetwork(seed, TimeProvider.System);
    }

    public VirtualNetwork Net { get; }

    public EmbeddedSignalingServer Server { get; private set; }

    /// <summary>Time since the mesh was created: the members' timelines are stamped with it.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public IReadOnlyList<MeshMember> Members => _members;

    /// <summary>The server's resume key: a restarted server (<see cref="RestartServerAsync"/>) uses it too, so members resume.</summary>
    public string ResumeKey { get; } = SignalingServerOptions.NewResumeKey();

    public static async Task<VirtualMesh> StartAsync(ILoggerFactory logging, P2pOptions? service = null, int seed = 1)
    {
        var mesh = new VirtualMesh(null!, logging, service ?? new P2pOptions { LoggerFactory = logging }, seed);
        mesh.Server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { ResumeKey = mesh.ResumeKey });
        return mesh;
    }

    /// <summary>Stops the signaling server (members start reconnecting).</summary>
    public async Task StopServerAsync() => await Server.DisposeAsync();

    /// <summary>Starts a new server on the stopped one's port, with the same resume key.</summary>
    public async Task StartServerAgainAsync()
    {
        Server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions
        {
            Url = $"http://127.0.0.1:{Server.Uri.Port}",
            ResumeKey = ResumeKey,
        });
    }

    /// <summary>
    /// Adds a member on a new host of the virtual Internet, or on <paramref name="host"/> (e.g. behind a NAT), or, with
    /// <paramref name="loopback"/>, on the machine's 127.0.0.1, to meet members in other processes: the first creates the
    /// group, the others join it.
    /// </summary>
    public async Task<MeshMember> AddMemberAsync(CancellationToken cancellationToken, bool loopback = false, VirtualHost? host = null)
    {
        var member = new MeshMember(loopback ? null : host ?? Net.Internet.AddHost($"m{_members.Count}"), Clock);
        var transport = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
        {
            LoggerFactory = _logging,
            AddressFilter = loopback ? a => a.Equals(IPAddress.Loopback) : null,
            Ice = loopback ? new IceAgentOptions() : new IceAgentOptions { SocketFactory = member.Host },
        });
        var signaling = await WebSocketSignalingChannel.ConnectAsync(Server.Uri, cancellationToken: cancellationToken);
        var group = _members.Count == 0
            ? await Group.CreateAsync(signaling, transport, GroupCapability.All, member.Options(), _service, cancellationToken)
            : await Group.JoinAsync(signaling, transport, _members[0].Group.Id, member.Options(), _service, cancellationToken);
        member.Attach(group, signaling);
        _members.Add(member);
        return member;
    }

    /// <summary>Waits until every member is connected to every other.</summary>
    public async Task WhenAllConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        await Task.WhenAll(_members.Select(m => m.Group.WhenAllConnectedAsync(limit.Token)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            try
            {
                await member.Group.DisposeAsync();
                await member.Signaling.DisposeAsync();
            }
            catch (Exception ex)
            {
                TestContext.Out.WriteLine($"disposing a member: {ex.Message}");
            }
        }

        await Server.DisposeAsync();
        Net.Dispose();
    }
}
