using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Tests.Support;

namespace P2p.Signaling.WebSockets.Tests;

/// <summary>The client's side of the resume extension against a scripted server: the frames it sends and how it reacts.</summary>
public class ReconnectTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private ScriptedServer _server = null!;

    [SetUp]
    public async Task Start() => _server = await ScriptedServer.StartAsync();

    [TearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private static async Task<JsonElement> ExpectAsync(ScriptedServer.ServerSide side, string method)
    {
        var request = await side.ReceiveJsonAsync();
        Assert.That(request.GetProperty("method").GetString(), Is.EqualTo(method));
        return request;
    }

    private static Task AnswerAsync(ScriptedServer.ServerSide side, JsonElement request, string member) =>
        side.SendAsync($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetRawText()}},{{member}}}""");

    /// <summary>A channel that has run init (answered "u1...") and got token "T1".</summary>
    private async Task<(WebSocketSignalingChannel Channel, ScriptedServer.ServerSide Side)> InitialisedAsync(WebSocketSignalingChannelOptions options)
    {
        var channel = await WebSocketSignalingChannel.ConnectAsync(_server.Uri, options);
        var side = await _server.AcceptAsync();
        var init = channel.InitAsync();
        await AnswerAsync(side, await ExpectAsync(side, "init"), "\"result\":\"00112233445566778899aabbccddeeff\"");
        var token = await ExpectAsync(side, "get_resume_token");
        Assert.That(token.GetProperty("params").GetArrayLength(), Is.Zero);
        await AnswerAsync(side, token, "\"result\":{\"token\":\"T1\",\"gracePeriodMs\":30000}");
        await init.WaitAsync(Wait);
        return (channel, side);
    }

    [Test]
    public async Task Resume_sends_the_token_and_the_tracked_groups_and_a_refusal_closes_the_channel()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (channel, side) = await InitialisedAsync(new WebSocketSignalingChannelOptions { TimeProvider = clock, CloseTimeout = TimeSpan.FromMilliseconds(100) });
        await using var _ = channel;
        var create = channel.CreateGroupAsync(5);
        await AnswerAsync(side, await ExpectAsync(side, "create"), "\"result\":\"g1\"");
        await create.WaitAsync(Wait);
        var join = channel.JoinGroupAsync("g2");
        await AnswerAsync(side, await ExpectAsync(side, "join"), "\"result\":true");
        await join.WaitAsync(Wait);
        var closed = new TaskCompletionSource<SignalingClosedEventArgs>();
        channel.Closed += (_, e) => closed.TrySetResult(e);
        var reconnecting = new TaskCompletionSource();
        channel.Reconnecting += (_, _) => reconnecting.TrySetResult();

        side.Abort(); // no close handshake
        await reconnecting.Task.WaitAsync(Wait);
        Assert.That(channel.IsConnected, Is.False);
        var fast = Assert.ThrowsAsync<SignalingException>(async () => await channel.GetMembersAsync("g1").WaitAsync(Wait))!;
        Assert.That(fast.Code, Is.EqualTo(SignalingErrorCode.Reconnecting));

        var second = await _server.AcceptAsync(); // the first attempt is immediate (no virtual time passes)
        var resume = await ExpectAsync(second, "resume");
        var p = resume.GetProperty("params");
        Assert.That(p[0].GetString(), Is.EqualTo("T1"));
        var groups = p[1].EnumerateArray().ToDictionary(g => g.GetProperty("id").GetString()!, g => g.GetRawText());
        Assert.That(groups.Keys, Is.EquivalentTo(new[] { "g1", "g2" }));
        Assert.That(groups["g1"], Is.EqualTo("""{"id":"g1","owner":"00112233445566778899aabbccddeeff","capability":5}"""));
        Assert.That(groups["g2"], Is.EqualTo("""{"id":"g2","owner":null,"capability":null}"""));

        await AnswerAsync(second, resume, "\"error\":{\"code\":-32009,\"message\":\"resume refused: unknown or expired session\"}");
        var e = await closed.Task.WaitAsync(Wait);
        Assert.That(e.Reason, Does.StartWith("resume refused"));
        Assert.That(channel.IsClosed, Is.True);
        second.Done.TrySetResult();
    }

    [Test]
    public async Task A_resumed_channel_keeps_its_id_and_fetches_a_new_token()
    {
        var (channel, side) = await InitialisedAsync(new WebSocketSignalingChannelOptions { CloseTimeout = TimeSpan.FromMilliseconds(100) });
        await using var _ = channel;
        var reconnected = new TaskCompletionSource();
        channel.Reconnected += (_, _) => reconnected.TrySetResult();

        side.Abort();
        var second = await _server.AcceptAsync();
        var resume = await ExpectAsync(second, "resume");
        Assert.That(resume.GetProperty("params")[1].GetArrayLength(), Is.Zero);
        await AnswerAsync(second, resume, "\"result\":{\"id\":\"00112233445566778899aabbccddeeff\",\"groups\":[]}");
        await reconnected.Task.WaitAsync(Wait);
        Assert.That((channel.UserId, channel.IsConnected), Is.EqualTo(("00112233445566778899aabbccddeeff", true)));
        await AnswerAsync(second, await ExpectAsync(second, "get_resume_token"), "\"result\":{\"token\":\"T2\",\"gracePeriodMs\":30000}");
        second.Done.TrySetResult();
    }

    [Test]
    public async Task A_server_without_the_extension_means_a_drop_closes_the_channel()
    {
        var channel = await WebSocketSignalingChannel.ConnectAsync(_server.Uri, new WebSocketSignalingChannelOptions { CloseTimeout = TimeSpan.FromMilliseconds(100) });
        await using var _ = channel;
        var side = await _server.AcceptAsync();
        var init = channel.InitAsync();
        await AnswerAsync(side, await ExpectAsync(side, "init"), "\"result\":\"u\"");
        await AnswerAsync(side, await ExpectAsync(side, "get_resume_token"), "\"error\":{\"code\":-32601,\"message\":\"Method not found\"}");
        Assert.That(await init.WaitAsync(Wait), Is.EqualTo("u"));
        var closed = new TaskCompletionSource();
        channel.Closed += (_, _) => closed.TrySetResult();
        side.Abort();
        await closed.Task.WaitAsync(Wait);
    }
}
