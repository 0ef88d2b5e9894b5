using System.Collections.Concurrent;
using System.Net;
using System.Text;
using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.Testing;
using P2p.Transport.WebRtc;

namespace P2p.Interop.Tests.BrowserClient.MixedGroup;

/// <summary>A .NET member on the WebRTC transport that records broadcasts and answers requests.</summary>
internal sealed class DotNetMember : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _texts = new();
    private readonly SemaphoreSlim _broadcasts = new(0);

    public IGroup Group { get; private set; } = null!;

    /// <summary>The member's signaling channel (its Reconnecting/Reconnected events).</summary>
    public WebSocketSignalingChannel Signaling { get; private set; } = null!;

    public string Id => Group.LocalMember.Id;

    public byte[]? LargestRequest { get; private set; }

    /// <summary>How many requests arrived.</summary>
    public int Requests => _requests;

    /// <summary>How many requests larger than 1 KiB arrived.</summary>
    public int LargeRequests => _largeRequests;

    /// <summary>The transport: <see cref="BlockingPeerConnectionFactory.Block"/> makes direct connections to a member impossible.</summary>
    public BlockingPeerConnectionFactory Transport { get; private set; } = null!;

    private int _largeRequests;
    private int _requests;

    /// <param name="server">The signaling server.</param>
    /// <param name="groupId">The group to join; null creates one.</param>
    /// <param name="ct">Cancels the join.</param>
    /// <param name="identity">The member's identity settings.</param>
    /// <param name="options">Service settings (timeouts).</param>
    /// <param name="blocked">Members this one can never connect to directly (see <see cref="BlockingPeerConnectionFactory"/>).</param>
    public static async Task<DotNetMember> CreateAsync(Uri server, string? groupId, CancellationToken ct, P2p.Core.Identity.IdentityOptions? identity = null, P2pOptions? options = null, IEnumerable<string>? blocked = null)
    {
        var member = new DotNetMember();
        var transport = new BlockingPeerConnectionFactory(new WebRtcPeerConnectionFactory(new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback) }));
        foreach (var id in blocked ?? [])
        {
            transport.Block(id);
        }

        member.Transport = transport;
        var groupOptions = new GroupOptions
        {
            Identity = identity,
            MessageHandler = (from, data, _) =>
            {
                member._texts.Enqueue($"{from.Id}:{Encoding.UTF8.GetString(data.Span)}");
                member._broadcasts.Release();
                return ValueTask.CompletedTask;
            },
            RequestHandler = (from, data, _) =>
            {
                Interlocked.Increment(ref member._requests);
                if (data.Length > 1024)
                {
                    member.LargestRequest = data.ToArray();
                    Interlocked.Increment(ref member._largeRequests);
                    return ValueTask.FromResult(data);
                }

                return ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("dotnet got: " + Encoding.UTF8.GetString(data.Span)));
            },
        };
        var signaling = await WebSocketSignalingChannel.ConnectAsync(server, cancellationToken: ct);
        member.Signaling = signaling;
        member.Group = groupId is null
            ? await P2p.Core.Group.CreateAsync(signaling, transport, GroupCapability.All, groupOptions, options, ct)
            : await P2p.Core.Group.JoinAsync(signaling, transport, groupId, groupOptions, options, ct);
        return member;
    }

    public string[] Texts() => [.. _texts];

    public async Task WaitForBroadcastsAsync(int count, CancellationToken ct)
    {
        for (var i = 0; i < count; i++)
        {
            await _broadcasts.WaitAsync(Timeout, ct);
        }
    }

    public Task WaitForLeftAsync(string memberId)
    {
        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Group.MemberLeft += (_, e) =>
        {
            if (e.Peer.Id == memberId)
            {
                left.TrySetResult();
            }
        };
        return left.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await Group.DisposeAsync();
        _broadcasts.Dispose();
    }
}
