using System.Collections.Concurrent;
using System.Text.Json;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Tests.Support;
using P2p.Signaling.WebSockets;

namespace P2p.Signaling.Server.Tests;

/// <summary>Our .NET client (<see cref="WebSocketSignalingChannel"/>) against the real server.</summary>
public class ClientIntegrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private EmbeddedSignalingServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await TestServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private static JsonElement Json(string json) => JsonElement.Parse(json);

    [Test]
    public async Task The_seed_sequence_with_the_client()
    {
        await using var ua0 = await WebSocketSignalingChannel.ConnectAsync(_server.Uri);
        await using var ua1 = await WebSocketSignalingChannel.ConnectAsync(_server.Uri);
        await using var ua2 = await WebSocketSignalingChannel.ConnectAsync(_server.Uri);
        var joinedAt0 = new ConcurrentQueue<string>();
        var allJoined = new TaskCompletionSource();
        ua0.MemberJoined += (_, e) =>
        {
            joinedAt0.Enqueue(e.UserId);
            if (joinedAt0.Count == 2)
            {
                allJoined.TrySetResult();
            }
        };
        var relaysAt0 = new ConcurrentQueue<RelayRequest>();
        ua0.RelayHandler = (relay, _) =>
        {
            relaysAt0.Enqueue(relay);
            var type = relay.Data.GetProperty("type").GetString();
            return ValueTask.FromResult(type == "offer" ? Json("""{"type":"answer","sdp":"v=0 answer"}""") : Json("null"));
        };

        var id0 = await ua0.InitAsync();
        var id1 = await ua1.InitAsync();
        var id2 = await ua2.InitAsync();
        var group = await ua0.CreateGroupAsync(capability: 3);

        await ua1.JoinGroupAsync(group);
        Assert.That(await ua1.GetMembersAsync(group), Is.EqualTo(new[] { id0, id1 }));
        var answer = await ua1.RelayAsync(group, id0, Json("""{"type":"offer","sdp":"v=0 offer"}"""));
        Assert.That(answer.GetProperty("type").GetString(), Is.EqualTo("answer"));
        var candidateAnswer = await ua1.RelayAsync(group, id0, Json("""{"type":"candidate","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}"""));
        Assert.That(candidateAnswer.ValueKind, Is.EqualTo(JsonValueKind.Null));

        await ua2.JoinGroupAsync(group);
        await allJoined.Task.WaitAsync(Wait);
        Assert.That(joinedAt0, Is.EqualTo(new[] { id1, id2 }));
        Assert.That(relaysAt0.Select(r => r.FromUserId), Is.EqualTo(new[] { id1, id1 }));
        Assert.That(relaysAt0.Select(r => r.GroupId), Has.All.EqualTo(group));

        var info = await ua2.GetGroupAsync(group);
        Assert.That(info, Is.EqualTo(info with { Id = group, Owner = id0, Capability = 3 }));
        Assert.That(info.Members, Is.EqualTo(new[] { id0, id1, id2 }));

        var left = new TaskCompletionSource<SignalingMemberEventArgs>();
        ua0.MemberLeft += (_, e) => left.TrySetResult(e);
        await ua2.LeaveGroupAsync(group);
        var e = await left.Task.WaitAsync(Wait);
        Assert.That((e.GroupId, e.UserId), Is.EqualTo((group, id2)));
    }

    [Test]
    public async Task Server_errors_surface_as_signaling_exceptions_with_their_codes()
    {
        await using var a = await WebSocketSignalingChannel.ConnectAsync(_server.Uri);
        await using var b = await WebSocketSignalingChannel.ConnectAsync(_server.Uri);
        var beforeInit = Assert.ThrowsAsync<SignalingException>(async () => await a.CreateGroupAsync(null));
        Assert.That(beforeInit!.Code, Is.EqualTo(SignalingErrorCode.NotInitialized));
        await a.InitAsync();
        var idB = await b.InitAsync();
        Assert.That(Assert.ThrowsAsync<SignalingException>(async () => await a.CreateGroupAsync(99))!.Code, Is.EqualTo(SignalingErrorCode.InvalidParams));
        Assert.That(Assert.ThrowsAsync<SignalingException>(async () => await a.JoinGroupAsync("nope"))!.Code, Is.EqualTo(SignalingErrorCode.GroupNotFound));
        var group = await a.CreateGroupAsync(null);
        Assert.That(Assert.ThrowsAsync<SignalingException>(async () => await a.RelayAsync(group, idB, Json("1")))!.Code, Is.EqualTo(SignalingErrorCode.TargetUnavailable));
        await b.JoinGroupAsync(group);
        Assert.That(Assert.ThrowsAsync<SignalingException>(async () => await a.RelayAsync(group, idB, Json("1")))!.Code, Is.EqualTo(SignalingErrorCode.NoRelayHandler),
            "the target's client answers -32010 and the server forwards it");
        b.RelayHandler = (_, _) => throw new SignalingException((SignalingErrorCode)4040, "not now");
        var custom = Assert.ThrowsAsync<SignalingException>(async () => await a.RelayAsync(group, idB, Json("1")))!;
        Assert.That(((int)custom.Code, custom.Message), Is.EqualTo((4040, "not now")));
    }

    [Test]
    public async Task Two_hundred_clients_relay_concurrently_and_every_reply_matches_its_request()
    {
        const int clients = 200, groupSize = 4, relaysPerPeer = 3;
        var channels = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => WebSocketSignalingChannel.ConnectAsync(_server.Uri)));
        try
        {
            var ids = await Task.WhenAll(channels.Select(c => c.InitAsync()));
            for (var i = 0; i < clients; i++)
            {
                var me = ids[i];
                channels[i].RelayHandler = (relay, _) => ValueTask.FromResult(JsonSerializer.SerializeToElement(new Dictionary<string, object>
                {
                    ["to"] = me,
                    ["from"] = relay.FromUserId,
                    ["seq"] = relay.Data.GetProperty("seq").GetInt32(),
                }));
            }

            var groups = new string[clients / groupSize];
            for (var g = 0; g < groups.Length; g++)
            {
                groups[g] = await channels[g * groupSize].CreateGroupAsync(null);
                await Task.WhenAll(Enumerable.Range(g * groupSize + 1, groupSize - 1).Select(i => channels[i].JoinGroupAsync(groups[g])));
            }

            var mismatches = 0;
            var completed = 0;
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
            {
                var g = i / groupSize;
                var peers = Enumerable.Range(g * groupSize, groupSize).Where(p => p != i).ToArray();
                var calls = new List<Task>();
                for (var k = 0; k < relaysPerPeer; k++)
                {
                    foreach (var p in peers)
                    {
                        var seq = k * 100 + p;
                        calls.Add(Task.Run(async () =>
                        {
                            var reply = await channels[i].RelayAsync(groups[g], ids[p], JsonSerializer.SerializeToElement(new { seq }));
                            if (reply.GetProperty("to").GetString() != ids[p] || reply.GetProperty("from").GetString() != ids[i] || reply.GetProperty("seq").GetInt32() != seq)
                            {
                                Interlocked.Increment(ref mismatches);
                            }

                            Interlocked.Increment(ref completed);
                        }));
                    }
                }

                await Task.WhenAll(calls);
            })).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.That(mismatches, Is.Zero);
            Assert.That(completed, Is.EqualTo(clients * (groupSize - 1) * relaysPerPeer));
        }
        finally
        {
            await Task.WhenAll(channels.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [Test]
    public async Task When_the_server_stops_mid_call_the_pending_call_fails_promptly()
    {
        // Without reconnecting (the behaviour before the resume extension; see ResumeClientTests for the default).
        var server = await TestServer.StartAsync();
        var noReconnect = new WebSocketSignalingChannelOptions { Reconnect = false };
        await using var a = await WebSocketSignalingChannel.ConnectAsync(server.Uri, noReconnect);
        await using var b = await WebSocketSignalingChannel.ConnectAsync(server.Uri, noReconnect);
        await a.InitAsync();
        var idB = await b.InitAsync();
        var handlerCancelled = new TaskCompletionSource();
        var handlerStarted = new TaskCompletionSource();
        b.RelayHandler = async (_, ct) =>
        {
            handlerStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                handlerCancelled.TrySetResult();
            }

            return default;
        };
        var group = await a.CreateGroupAsync(null);
        await b.JoinGroupAsync(group);
        var closedA = new TaskCompletionSource<SignalingClosedEventArgs>();
        a.Closed += (_, e) => closedA.TrySetResult(e);

        var relay = a.RelayAsync(group, idB, Json("""{"type":"offer","sdp":""}"""));
        await handlerStarted.Task.WaitAsync(Wait);
        await server.DisposeAsync();

        var ex = Assert.ThrowsAsync<SignalingException>(async () => await relay.WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.AnyOf(SignalingErrorCode.ConnectionClosed, SignalingErrorCode.TargetUnavailable));
        Assert.That((await closedA.Task.WaitAsync(Wait)).Reason, Does.Contain("shutting down").Or.Contain("closed"));
        await handlerCancelled.Task.WaitAsync(Wait);
        Assert.That(a.IsClosed && b.IsClosed, Is.True);
        Assert.That(Assert.ThrowsAsync<SignalingException>(async () => await a.InitAsync())!.Code, Is.EqualTo(SignalingErrorCode.ConnectionClosed));
    }
}
