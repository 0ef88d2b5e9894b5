using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Moq;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests;

/// <summary>Relay routing: stamping, forwarding of answers and errors, ordering, timeouts, targets that vanish.</summary>
public class RelayTests
{
    private EmbeddedSignalingServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await TestServer.StartAsync(o =>
    {
        o.RelayTimeout = TimeSpan.FromMilliseconds(300);
        o.MaxPendingRelaysPerConnection = 300;
    });

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private static async Task<(RawClient A, RawClient B, string Group)> PairAsync(EmbeddedSignalingServer server)
    {
        var a = await RawClient.ConnectAsync(server.Uri);
        var b = await RawClient.ConnectAsync(server.Uri);
        var group = (await a.CallAsync("create", "[]")).GetProperty("result").GetString()!;
        await b.CallAsync("join", $"[\"{group}\"]");
        await a.NotificationAsync("member_joined");
        return (a, b, group);
    }

    [TestCase("\"result\":null", "null")]
    [TestCase("\"result\":false", "false")]
    [TestCase("\"result\":0", "0")]
    [TestCase("\"result\":\"\"", "\"\"")]
    [TestCase("\"result\":[1,{\"a\":null}]", "[1,{\"a\":null}]")]
    public async Task Any_result_is_forwarded_as_a_result(string answer, string expected)
    {
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        var relay = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",1]");
        await b.AnswerAsync(await b.RelayRequestAsync(), answer);
        var response = await relay;
        Assert.That(response.GetProperty("result").GetRawText(), Is.EqualTo(expected));
        Assert.That(response.TryGetProperty("error", out _), Is.False);
    }

    [Test]
    public async Task The_targets_error_is_forwarded_verbatim()
    {
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        var relay = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",1]");
        await b.AnswerAsync(await b.RelayRequestAsync(), "\"error\":{\"code\":4001,\"message\":\"busy\",\"data\":{\"retry\":true}}");
        Assert.That((await relay).GetProperty("error").GetRawText(), Is.EqualTo("{\"code\":4001,\"message\":\"busy\",\"data\":{\"retry\":true}}"));
    }

    [Test]
    public async Task A_malformed_error_from_the_target_becomes_internal_error()
    {
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        var relay = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",1]");
        await b.AnswerAsync(await b.RelayRequestAsync(), "\"error\":\"no\"");
        Assert.That((await relay).GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32603));
    }

    // Found by fuzzing (fuzz/findings/signaling-server/crash-38687cb42332): a member name that is no text in the target's
    // error object threw out of the error check, closed the target's connection and left the relay unanswered.
    [Test]
    public async Task An_error_object_with_a_name_that_is_no_text_becomes_internal_error_and_the_target_stays_connected()
    {
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        var relay = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",1]");
        await b.AnswerAsync(await b.RelayRequestAsync(), "\"error\":{\"code\":-32000,\"mess\\ud800age\":\"no\"}");
        Assert.That((await relay).GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32603));
        Assert.That((await b.CallAsync("get_members", $"[\"{group}\"]")).TryGetProperty("result", out _), Is.True, "the target's connection still works");
    }

    [Test]
    public async Task A_relay_without_answer_times_out_and_a_late_answer_is_dropped()
    {
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        var relay = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",1]");
        var request = await b.RelayRequestAsync();
        var response = await relay;
        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32005));

        await b.AnswerAsync(request, "\"result\":\"too late\"");
        var barrier = await a.CallAsync("get_members", $"[\"{group}\"]");
        Assert.That(barrier.TryGetProperty("result", out _), Is.True);
        Assert.That(a.Unclaimed(), Is.Empty, "the late answer went nowhere");
    }

    [Test]
    public async Task A_waiting_relay_does_not_block_the_senders_other_calls()
    {
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        var slow = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",\"slow\"]");
        var request = await b.RelayRequestAsync();
        var members = await a.CallAsync("get_members", $"[\"{group}\"]");
        Assert.That(members.GetProperty("result").GetArrayLength(), Is.EqualTo(2));
        Assert.That(slow.IsCompleted, Is.False);
        await b.AnswerAsync(request, "\"result\":\"done\"");
        Assert.That((await slow).GetProperty("result").GetString(), Is.EqualTo("done"));
    }

    [Test]
    public async Task One_senders_relays_arrive_in_order_and_answers_match_their_requests()
    {
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        const int count = 200;
        var calls = Enumerable.Range(0, count).Select(i => a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",{{\"seq\":{i}}}]")).ToArray();
        var requests = new List<JsonElement>();
        for (var i = 0; i < count; i++)
        {
            requests.Add(await b.RelayRequestAsync());
        }

        Assert.That(requests.Select(r => r.GetProperty("params")[2].GetProperty("seq").GetInt32()), Is.EqualTo(Enumerable.Range(0, count)));

        // Answer in reverse order: each reply still reaches its own request.
        foreach (var request in Enumerable.Reverse(requests))
        {
            await b.AnswerAsync(request, $"\"result\":{{\"echo\":{request.GetProperty("params")[2].GetProperty("seq").GetInt32()}}}");
        }

        for (var i = 0; i < count; i++)
        {
            Assert.That((await calls[i]).GetProperty("result").GetProperty("echo").GetInt32(), Is.EqualTo(i));
        }
    }

    [Test]
    public async Task A_burst_of_small_and_large_relays_reaches_the_target_byte_exact_and_in_order()
    {
        // Frames queued together leave the server in one write; one of them is larger than the batch buffer.
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        int[] sizes = [1, 200, 70_000, 3, 16_000, 16_500, 125, 126, 65_535, 65_536];
        var payloads = sizes.Select((n, i) => $$"""{"seq":{{i}},"pad":"{{new string((char)('a' + i), n)}}","esc":"é\n"}""").ToArray();
        var calls = payloads.Select(p => a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",{p}]")).ToArray();
        for (var i = 0; i < payloads.Length; i++)
        {
            var request = await b.RelayRequestAsync();
            Assert.That(request.GetProperty("params")[2].GetRawText(), Is.EqualTo(payloads[i]));
            await b.AnswerAsync(request, "\"result\":" + i);
        }

        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.That((await calls[i]).GetProperty("result").GetInt32(), Is.EqualTo(i));
        }
    }

    [Test]
    public async Task Ids_written_with_escapes_route_as_the_same_ids()
    {
        // The group and target ids are looked up without making strings when they have no escapes; escaped ones are read as before.
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        static string Escaped(string id) => string.Concat(id.Select(c => $"\\u{(int)c:x4}"));
        var call = a.CallAsync("relay", $"[\"{Escaped(group)}\",\"{Escaped(b.UserId)}\",1]");
        var request = await b.RelayRequestAsync();
        Assert.Multiple(() =>
        {
            Assert.That(request.GetProperty("params")[0].GetString(), Is.EqualTo(group));
            Assert.That(request.GetProperty("params")[1].GetString(), Is.EqualTo(a.UserId));
        });
        await b.AnswerAsync(request, "\"result\":2");
        Assert.That((await call).GetProperty("result").GetInt32(), Is.EqualTo(2));
        var notMember = await a.CallAsync("relay", "[\"no-such-group\",\"" + b.UserId + "\",1]");
        Assert.That(notMember.GetProperty("error").GetProperty("message").GetString(), Does.Contain("no-such-group"));
    }

    [Test]
    public async Task Too_many_pending_relays_are_refused()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxPendingRelaysPerConnection = 2);
        var (a, b, group) = await PairAsync(server);
        await using var disposeA = a;
        await using var disposeB = b;
        var first = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",1]");
        var second = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",2]");
        var r1 = await b.RelayRequestAsync();
        await b.RelayRequestAsync();
        Assert.That(await a.ErrorCodeAsync("relay", $"[\"{group}\",\"{b.UserId}\",3]"), Is.EqualTo(-32007));
        await b.AnswerAsync(r1, "\"result\":1");
        await first;
        var fourth = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",4]");
        var r4 = await b.RelayRequestAsync();
        Assert.That(r4.GetProperty("params")[2].GetInt32(), Is.EqualTo(4));
        Assert.That(second.IsCompleted, Is.False);
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_target_that_disconnects_mid_relay_fails_the_relay_at_once(bool abort)
    {
        // The default 30 s relay timeout: the failure must come from the disconnect, not the timeout.
        // An abort detaches the member for the (here short) resume grace period; the relay still fails at once.
        await using var server = await TestServer.StartAsync(o => o.ResumeGracePeriod = TimeSpan.FromMilliseconds(200));
        var (a, b, group) = await PairAsync(server);
        await using var disposeA = a;
        var relay = a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",{{\"type\":\"offer\",\"sdp\":\"\"}}]");
        await b.RelayRequestAsync();
        if (abort)
        {
            await b.AbortAsync();
        }
        else
        {
            await b.CloseAsync();
        }

        var response = await relay.WaitAsync(RawClient.Wait);
        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32004));
        var left = await a.NotificationAsync("member_left");
        Assert.That(left.GetProperty("params")[1].GetString(), Is.EqualTo(b.UserId));
        Assert.That(await a.ErrorCodeAsync("relay", $"[\"{group}\",\"{b.UserId}\",1]"), Is.EqualTo(-32004));
        await b.DisposeAsync();
    }

    [Test]
    public async Task A_relay_notification_is_forwarded_without_an_id()
    {
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        await a.SendAsync($"{{\"jsonrpc\":\"2.0\",\"method\":\"relay\",\"params\":[\"{group}\",\"{b.UserId}\",{{\"type\":\"candidate\",\"candidate\":\"\"}}]}}");
        var request = await b.RelayRequestAsync();
        Assert.That(request.TryGetProperty("id", out _), Is.False);
        Assert.That(request.GetProperty("params")[1].GetString(), Is.EqualTo(a.UserId));
    }

    [Test]
    public async Task Answers_to_unknown_relay_ids_are_dropped()
    {
        var (a, b, group) = await PairAsync(_server);
        await using var disposeA = a;
        await using var disposeB = b;
        await b.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":987654,\"result\":\"forged\"}");
        await b.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":\"forged\"}");
        Assert.That((await a.CallAsync("get_group", $"[\"{group}\"]")).TryGetProperty("result", out _), Is.True);
        Assert.That((await b.CallAsync("get_group", $"[\"{group}\"]")).TryGetProperty("result", out _), Is.True);
        Assert.That(a.Unclaimed(), Is.Empty);
        Assert.That(b.Unclaimed(), Is.Empty);
    }

    [Test]
    public async Task An_asynchronous_group_store_keeps_order_and_sees_the_stamped_sender()
    {
        var inner = new InMemoryGroupStore();
        var store = new Mock<IGroupStore>(MockBehavior.Strict);
        store.Setup(s => s.CreateAsync(It.IsAny<string>(), It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .Returns((string o, int c, CancellationToken t) => inner.CreateAsync(o, c, t));
        store.Setup(s => s.JoinAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string g, string u, CancellationToken t) => inner.JoinAsync(g, u, t));
        store.Setup(s => s.LeaveAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string g, string u, CancellationToken t) => inner.LeaveAsync(g, u, t));
        store.Setup(s => s.CheckRelayAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string g, string f, string to, CancellationToken t) => new ValueTask<RelayRouteStatus>(Task.Run(async () =>
            {
                await Task.Yield(); // completes asynchronously, as a networked store would
                return await inner.CheckRelayAsync(g, f, to, t);
            })));
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton(store.Object));
        var (a, b, group) = await PairAsync(server);
        await using var disposeA = a;
        await using var disposeB = b;

        var calls = Enumerable.Range(0, 50).Select(i => a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",{i}]")).ToArray();
        for (var i = 0; i < 50; i++)
        {
            var request = await b.RelayRequestAsync();
            Assert.That(request.GetProperty("params")[2].GetInt32(), Is.EqualTo(i));
            await b.AnswerAsync(request, $"\"result\":{i}");
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.That((await calls[i]).GetProperty("result").GetInt32(), Is.EqualTo(i));
        }

        store.Verify(s => s.CheckRelayAsync(group, a.UserId, b.UserId, It.IsAny<CancellationToken>()), Times.Exactly(50));
    }

    [Test]
    public async Task A_failing_group_store_fails_the_request_not_the_connection()
    {
        var inner = new InMemoryGroupStore();
        var store = new Mock<IGroupStore>();
        store.Setup(s => s.CreateAsync(It.IsAny<string>(), It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .Returns((string o, int c, CancellationToken t) => inner.CreateAsync(o, c, t));
        store.Setup(s => s.GetAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns(new ValueTask<P2p.Signaling.Abstractions.GroupInfo?>(Task.FromException<P2p.Signaling.Abstractions.GroupInfo?>(new InvalidOperationException("store down"))));
        store.Setup(s => s.JoinAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Throws(new InvalidOperationException("store down"));
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton(store.Object));
        await using var a = await RawClient.ConnectAsync(server.Uri);
        var group = (await a.CallAsync("create", "[]")).GetProperty("result").GetString();
        Assert.That(await a.ErrorCodeAsync("get_members", $"[\"{group}\"]"), Is.EqualTo(-32603));
        Assert.That(await a.ErrorCodeAsync("join", $"[\"{group}\"]"), Is.EqualTo(-32603));
        Assert.That((await a.CallAsync("init", "[]")).GetProperty("result").GetString(), Is.EqualTo(a.UserId));
    }
}
