using System.Text.Json;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Tests.Support;

namespace P2p.Signaling.WebSockets.Tests;

/// <summary>The client against a scripted server that writes literal JSON-RPC frames.</summary>
public class WebSocketSignalingChannelTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private ScriptedServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await ScriptedServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private async Task<(WebSocketSignalingChannel Channel, ScriptedServer.ServerSide Server)> ConnectAsync(WebSocketSignalingChannelOptions? options = null)
    {
        // The scripted server reads only when a test asks it to, so it never answers a close frame: keep disposal short.
        options ??= new WebSocketSignalingChannelOptions { Reconnect = false, CloseTimeout = TimeSpan.FromMilliseconds(100) };
        var channel = await WebSocketSignalingChannel.ConnectAsync(_server.Uri, options);
        var side = await _server.AcceptAsync();
        return (channel, side);
    }

    [Test]
    public async Task InitSendsTheTablesFrameAndKeepsTheUserId()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var init = channel.InitAsync();
        var request = await server.ReceiveJsonAsync();
        Assert.Multiple(() =>
        {
            Assert.That(request.GetProperty("jsonrpc").GetString(), Is.EqualTo("2.0"));
            Assert.That(request.GetProperty("method").GetString(), Is.EqualTo("init"));
            Assert.That(request.GetProperty("params").GetArrayLength(), Is.Zero);
        });
        await server.SendAsync($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetRawText()}},"result":"00112233445566778899aabbccddeeff"}""");
        Assert.That(await init.WaitAsync(Wait), Is.EqualTo("00112233445566778899aabbccddeeff"));
        Assert.That(channel.UserId, Is.EqualTo("00112233445566778899aabbccddeeff"));
    }

    [Test]
    public async Task EveryMethodSendsItsPositionalParams()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var calls = new List<(Task Task, string Method, string Params)>
        {
            (channel.CreateGroupAsync(null), "create", "[]"),
            (channel.CreateGroupAsync(5), "create", "[5]"),
            (channel.JoinGroupAsync("g"), "join", """["g"]"""),
            (channel.LeaveGroupAsync("g"), "leave", """["g"]"""),
            (channel.GetMembersAsync("g"), "get_members", """["g"]"""),
            (channel.GetGroupAsync("g"), "get_group", """["g"]"""),
            (channel.RelayAsync("g", "u", JsonElement.Parse("""{"type":"offer","sdp":"v=0"}""")), "relay", """["g","u",{"type":"offer","sdp":"v=0"}]"""),
        };
        foreach (var (_, method, parameters) in calls)
        {
            var request = await server.ReceiveJsonAsync();
            Assert.That(request.GetProperty("method").GetString(), Is.EqualTo(method));
            Assert.That(request.GetProperty("params").GetRawText(), Is.EqualTo(parameters));
        }
    }

    [Test]
    public async Task ResponsesAreMatchedByIdInAnyOrder()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var first = channel.GetMembersAsync("a");
        var second = channel.GetMembersAsync("b");
        var r1 = await server.ReceiveJsonAsync();
        var r2 = await server.ReceiveJsonAsync();
        await server.SendAsync($$"""{"jsonrpc":"2.0","id":{{r2.GetProperty("id").GetRawText()}},"result":["b"]}""");
        await server.SendAsync($$"""{"id":{{r1.GetProperty("id").GetRawText()}},"result":["a"],"jsonrpc":"2.0"}""");
        Assert.That(await first.WaitAsync(Wait), Is.EqualTo(new[] { "a" }));
        Assert.That(await second.WaitAsync(Wait), Is.EqualTo(new[] { "b" }));
    }

    [TestCase("null", JsonValueKind.Null)]
    [TestCase("false", JsonValueKind.False)]
    [TestCase("0", JsonValueKind.Number)]
    [TestCase("\"\"", JsonValueKind.String)]
    [TestCase("{\"type\":\"answer\",\"sdp\":\"v=0\"}", JsonValueKind.Object)]
    public async Task AFalsyResultIsStillAResult(string result, JsonValueKind kind)
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var relay = channel.RelayAsync("g", "u", JsonElement.Parse("1"));
        var request = await server.ReceiveJsonAsync();
        await server.SendAsync($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetRawText()}},"result":{{result}}}""");
        var answer = await relay.WaitAsync(Wait);
        Assert.That(answer.ValueKind, Is.EqualTo(kind));
        Assert.That(answer.GetRawText(), Is.EqualTo(result));
    }

    [Test]
    public async Task AnErrorResponseThrowsWithItsCodeMessageAndData()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var join = channel.JoinGroupAsync("nope");
        var request = await server.ReceiveJsonAsync();
        await server.SendAsync("""{"jsonrpc":"2.0","id":""" + request.GetProperty("id").GetRawText() + ""","error":{"code":-32002,"message":"No group 'nope'.","data":{"groupId":"nope"}}}""");
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await join.WaitAsync(Wait))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.GroupNotFound));
            Assert.That(ex.Message, Is.EqualTo("No group 'nope'."));
            Assert.That(ex.ErrorData!.Value.GetProperty("groupId").GetString(), Is.EqualTo("nope"));
        });
    }

    [TestCase("""{"error":5}""", TestName = "ErrorNotAnObject")]
    [TestCase("""{"error":{"code":"x","message":"m"}}""", TestName = "ErrorCodeNotANumber")]
    [TestCase("""{"result":5}""", TestName = "ResultOfTheWrongType")]
    [TestCase("""{"result":null}""", TestName = "NullWhereAStringIsDue")]
    public async Task AMalformedAnswerFailsTheCallWithInvalidResponse(string body)
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var init = channel.InitAsync();
        var request = await server.ReceiveJsonAsync();
        await server.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":" + request.GetProperty("id").GetRawText() + "," + body[1..]);
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await init.WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.InvalidResponse));
        Assert.That(channel.IsClosed, Is.False, "a bad answer fails one call, not the channel");
    }

    [Test]
    public async Task GarbageFromTheServerIsDroppedAndTheChannelGoesOn()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        await server.SendAsync("{not json");
        await server.SendAsync("[1,2]");
        await server.SendAsync("""{"jsonrpc":"2.0","id":999,"result":true}""");
        var init = channel.InitAsync();
        var request = await server.ReceiveJsonAsync();
        await server.SendAsync($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetRawText()}},"result":"u"}""");
        Assert.That(await init.WaitAsync(Wait), Is.EqualTo("u"));
    }

    [Test]
    public async Task ACallWithoutAnswerTimesOut()
    {
        var (channel, server) = await ConnectAsync(new WebSocketSignalingChannelOptions { Reconnect = false, RequestTimeout = TimeSpan.FromMilliseconds(200), CloseTimeout = TimeSpan.FromMilliseconds(100) });
        await using var _ = channel;
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await channel.InitAsync().WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.RequestTimeout));

        // A late answer is dropped; the channel still works.
        var late = await server.ReceiveJsonAsync();
        await server.SendAsync($$"""{"jsonrpc":"2.0","id":{{late.GetProperty("id").GetRawText()}},"result":"late"}""");
        var next = channel.InitAsync();
        var request = await server.ReceiveJsonAsync();
        await server.SendAsync($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetRawText()}},"result":"ok"}""");
        Assert.That(await next.WaitAsync(Wait), Is.EqualTo("ok"));
    }

    [Test]
    public async Task ACallCanBeCancelled()
    {
        var (channel, _) = await ConnectAsync();
        await using var __ = channel;
        using var cts = new CancellationTokenSource();
        var call = channel.GetMembersAsync("g", cts.Token);
        await cts.CancelAsync();
        Assert.That(async () => await call.WaitAsync(Wait), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task WhenTheServerDisappearsPendingCallsFailAtOnceAndLaterCallsThrow()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var closed = new TaskCompletionSource<SignalingClosedEventArgs>();
        channel.Closed += (_, e) => closed.TrySetResult(e);
        var pending = new[] { channel.InitAsync(), channel.CreateGroupAsync(null) };
        await server.ReceiveJsonAsync();
        await server.ReceiveJsonAsync();

        server.Abort();

        foreach (var call in pending)
        {
            var ex = Assert.ThrowsAsync<SignalingException>(async () => await call.WaitAsync(Wait))!;
            Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.ConnectionClosed));
        }

        await closed.Task.WaitAsync(Wait);
        Assert.That(channel.IsClosed, Is.True);
        var later = Assert.ThrowsAsync<SignalingException>(async () => await channel.JoinGroupAsync("g"))!;
        Assert.That(later.Code, Is.EqualTo(SignalingErrorCode.ConnectionClosed));
    }

    [Test]
    public async Task AnOrderlyServerCloseIsReportedWithItsReason()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var closed = new TaskCompletionSource<SignalingClosedEventArgs>();
        channel.Closed += (_, e) => closed.TrySetResult(e);
        var pending = channel.InitAsync();
        await server.ReceiveJsonAsync();
        await server.Socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "server shutting down", CancellationToken.None);
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await pending.WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.ConnectionClosed));
        var e = await closed.Task.WaitAsync(Wait);
        Assert.That(e.Reason, Does.Contain("server shutting down"));
        Assert.That(await server.ReceiveTextAsync(), Is.Null, "the client completes the closing handshake");
    }

    [Test]
    public async Task ConnectingToNothingFailsClearly()
    {
        var uri = _server.Uri;
        await _server.DisposeAsync();
        _server = await ScriptedServer.StartAsync();
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await WebSocketSignalingChannel.ConnectAsync(uri));
        Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.ConnectionClosed));
    }

    [Test]
    public async Task RelayRequestsReachTheHandlerAndAreAnsweredById()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        RelayRequest? seen = null;
        channel.RelayHandler = (relay, _) =>
        {
            seen = relay;
            return ValueTask.FromResult(JsonElement.Parse("""{"type":"answer","sdp":"v=0"}"""));
        };
        await server.SendAsync("""{"jsonrpc":"2.0","id":"abc","method":"relay","params":["g1","u7",{"type":"offer","sdp":"v=0"}]}""");
        var answer = await server.ReceiveJsonAsync();
        Assert.Multiple(() =>
        {
            Assert.That(answer.GetProperty("id").GetString(), Is.EqualTo("abc"));
            Assert.That(answer.GetProperty("result").GetRawText(), Is.EqualTo("""{"type":"answer","sdp":"v=0"}"""));
            Assert.That(seen!.GroupId, Is.EqualTo("g1"));
            Assert.That(seen.FromUserId, Is.EqualTo("u7"));
            Assert.That(seen.Data.GetProperty("type").GetString(), Is.EqualTo("offer"));
        });
    }

    [Test]
    public async Task HandlersRunConcurrently()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var secondStarted = new TaskCompletionSource();
        channel.RelayHandler = async (relay, ct) =>
        {
            if (relay.Data.GetInt32() == 1)
            {
                // Finishes only once the second relay's handler has started: deadlocks if handlers ran one at a time.
                await secondStarted.Task.WaitAsync(ct);
            }
            else
            {
                secondStarted.TrySetResult();
            }

            return relay.Data;
        };
        await server.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"relay","params":["g","u",1]}""");
        await server.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"relay","params":["g","u",2]}""");
        var answers = new[] { await server.ReceiveJsonAsync(), await server.ReceiveJsonAsync() };
        Assert.That(answers.Select(a => (a.GetProperty("id").GetInt32(), a.GetProperty("result").GetInt32())), Is.EquivalentTo(new[] { (1, 1), (2, 2) }));
    }

    [Test]
    public async Task HandlersStartInTheOrderTheRelaysArrived()
    {
        // A trickled candidate must reach the application before the end-of-candidates sent after it.
        const int count = 200;
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var order = new List<int>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.RelayHandler = async (relay, ct) =>
        {
            lock (order)
            {
                order.Add(relay.Data.GetInt32());
                if (order.Count == count)
                {
                    all.TrySetResult();
                }
            }

            await Task.Yield(); // the rest of a handler may run concurrently
            return relay.Data;
        };
        for (var i = 0; i < count; i++)
        {
            await server.SendAsync($$"""{"jsonrpc":"2.0","id":{{i}},"method":"relay","params":["g","u",{{i}}]}""");
        }

        await all.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(order, Is.EqualTo(Enumerable.Range(0, count)));
    }

    [Test]
    public async Task WithoutAHandlerARelayGetsNoRelayHandler()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        await server.SendAsync("""{"jsonrpc":"2.0","id":7,"method":"relay","params":["g","u",{}]}""");
        var answer = await server.ReceiveJsonAsync();
        Assert.That(answer.GetProperty("id").GetInt32(), Is.EqualTo(7));
        Assert.That(answer.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32010));
    }

    [Test]
    public async Task AThrowingHandlerSendsRelayHandlerFailedWithoutDetails()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        channel.RelayHandler = (_, _) => throw new InvalidOperationException("secret internals");
        await server.SendAsync("""{"jsonrpc":"2.0","id":8,"method":"relay","params":["g","u",{}]}""");
        var answer = await server.ReceiveJsonAsync();
        var error = answer.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32011));
        Assert.That(error.GetProperty("message").GetString(), Does.Not.Contain("secret"));
    }

    [Test]
    public async Task AHandlersSignalingExceptionIsSentAsItsError()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        channel.RelayHandler = (_, _) => throw new SignalingException((SignalingErrorCode)4000, "busy", JsonElement.Parse("[1]"));
        await server.SendAsync("""{"jsonrpc":"2.0","id":9,"method":"relay","params":["g","u",{}]}""");
        var error = (await server.ReceiveJsonAsync()).GetProperty("error");
        Assert.That(error.GetRawText(), Is.EqualTo("""{"code":4000,"message":"busy","data":[1]}"""));
    }

    [Test]
    public async Task MembershipNotificationsRaiseEventsInOrder()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var events = new List<string>();
        var done = new TaskCompletionSource();
        channel.MemberJoined += (_, e) => events.Add($"+{e.GroupId}/{e.UserId}");
        channel.MemberLeft += (_, e) =>
        {
            events.Add($"-{e.GroupId}/{e.UserId}");
            if (events.Count == 3)
            {
                done.TrySetResult();
            }
        };
        await server.SendAsync("""{"jsonrpc":"2.0","method":"member_joined","params":["g","a"]}""");
        await server.SendAsync("""{"jsonrpc":"2.0","method":"member_joined","params":["g"]}"""); // malformed: ignored
        await server.SendAsync("""{"jsonrpc":"2.0","method":"member_joined","params":["g","b"]}""");
        await server.SendAsync("""{"jsonrpc":"2.0","method":"member_left","params":["g","a"]}""");
        await done.Task.WaitAsync(Wait);
        Assert.That(events, Is.EqualTo(new[] { "+g/a", "+g/b", "-g/a" }));
    }

    [Test]
    public async Task AnUnknownServerMethodGetsMethodNotFound()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        await server.SendAsync("""{"jsonrpc":"2.0","id":3,"method":"reboot","params":[]}""");
        var answer = await server.ReceiveJsonAsync();
        Assert.That(answer.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32601));
    }

    [Test]
    public async Task AnOversizedAnswerFailsOnlyItsCall()
    {
        var (channel, server) = await ConnectAsync(new WebSocketSignalingChannelOptions { Reconnect = false, MaxMessageSize = 4096, CloseTimeout = TimeSpan.FromMilliseconds(100) });
        await using var _ = channel;
        var relay = channel.RelayAsync("g", "u", JsonElement.Parse("1"));
        var request = await server.ReceiveJsonAsync();
        await server.SendAsync($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetRawText()}},"result":"{{new string('x', 10_000)}}"}""");
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await relay.WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.MessageTooLarge));
        Assert.That(channel.IsClosed, Is.False);
    }

    [Test]
    public async Task DisposeClosesCleanlyFailsPendingCallsAndRaisesClosedOnce()
    {
        var (channel, server) = await ConnectAsync();
        var closedCount = 0;
        channel.Closed += (_, _) => Interlocked.Increment(ref closedCount);
        var pending = channel.InitAsync();
        await server.ReceiveJsonAsync();
        var receiving = server.ReceiveTextAsync();
        var dispose = channel.DisposeAsync().AsTask();
        Assert.That(await receiving, Is.Null, "the server sees a close frame");
        await server.Socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await dispose.WaitAsync(Wait);
        await channel.DisposeAsync();
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await pending.WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.ConnectionClosed));
        Assert.That(closedCount, Is.EqualTo(1));
        Assert.That(async () => await channel.InitAsync(), Throws.InstanceOf<SignalingException>());
    }
}
