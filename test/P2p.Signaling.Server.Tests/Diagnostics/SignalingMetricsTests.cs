using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Diagnostics;
using P2p.Signaling.Server.Tests.Support;
using P2p.Signaling.WebSockets;

namespace P2p.Signaling.Server.Tests.Diagnostics;

/// <summary>The "P2p.Signaling.Server" meter's instruments, observed on a real embedded server driven by the .NET client.</summary>
public class SignalingMetricsTests
{
    private static readonly JsonElement Data = JsonElement.Parse("""{"type":"offer"}""");

    private static MetricCollector<T> Collect<T>(EmbeddedSignalingServer server, string instrument)
        where T : struct =>
        new(server.Services.GetRequiredService<IMeterFactory>(), SignalingMetrics.MeterName, instrument);

    private static async Task<WebSocketSignalingChannel> ClientAsync(EmbeddedSignalingServer server, CancellationToken ct)
    {
        var client = await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct);
        await client.InitAsync(ct);
        return client;
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Open_connections_go_up_on_connect_and_back_down_on_close(CancellationToken ct)
    {
        await using var server = await TestServer.StartAsync();
        using var connections = Collect<long>(server, "p2p.signaling.connections");

        var a = await ClientAsync(server, ct);
        var b = await ClientAsync(server, ct);
        await connections.UntilAsync(c => c.Sum() == 2, "two open connections");
        Assert.That(connections.GetMeasurementSnapshot().Select(m => m.Value), Is.All.EqualTo(1));

        await a.DisposeAsync();
        await connections.UntilAsync(c => c.Sum() == 1, "one connection after the first closed");
        await b.DisposeAsync();
        await connections.UntilAsync(c => c.Sum() == 0, "no connection after both closed");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Memberships_and_created_groups_follow_create_join_leave_and_disconnect(CancellationToken ct)
    {
        await using var server = await TestServer.StartAsync();
        using var memberships = Collect<long>(server, "p2p.signaling.group_memberships");
        using var created = Collect<long>(server, "p2p.signaling.groups.created");

        await using var owner = await ClientAsync(server, ct);
        var joiner = await ClientAsync(server, ct);
        var first = await owner.CreateGroupAsync(null, ct);
        var second = await owner.CreateGroupAsync(null, ct);
        await joiner.JoinGroupAsync(first, ct);
        await joiner.JoinGroupAsync(second, ct);
        await joiner.JoinGroupAsync(second, ct); // already a member: no change
        Assert.Multiple(() =>
        {
            Assert.That(created.Sum(), Is.EqualTo(2));
            Assert.That(memberships.Sum(), Is.EqualTo(4));
        });

        await owner.LeaveGroupAsync(first, ct);
        Assert.That(memberships.Sum(), Is.EqualTo(3));

        // A closing client leaves both its groups.
        await joiner.DisposeAsync();
        await memberships.UntilAsync(c => c.Sum() == 1, "the owner's one membership after the joiner left");
        Assert.That(created.Sum(), Is.EqualTo(2));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Answered_relays_are_counted_by_outcome_and_their_round_trip_is_recorded_in_seconds(CancellationToken ct)
    {
        await using var server = await TestServer.StartAsync();
        using var relays = Collect<long>(server, "p2p.signaling.relays");
        using var duration = Collect<double>(server, "p2p.signaling.relay.duration");

        await using var a = await ClientAsync(server, ct);
        await using var b = await ClientAsync(server, ct);
        var group = await a.CreateGroupAsync(null, ct);
        await b.JoinGroupAsync(group, ct);
        var fail = false;
        b.RelayHandler = async (_, token) =>
        {
            await Task.Delay(20, token);
            return fail ? throw new InvalidOperationException("refused") : Data;
        };

        await a.RelayAsync(group, b.UserId!, Data, ct);
        await a.RelayAsync(group, b.UserId!, Data, ct);
        fail = true;
        Assert.That(async () => await a.RelayAsync(group, b.UserId!, Data, ct), Throws.InstanceOf<SignalingException>());

        Assert.Multiple(() =>
        {
            Assert.That(relays.Sum(SignalingMetrics.OutcomeTag, "answered"), Is.EqualTo(2));
            Assert.That(relays.Sum(SignalingMetrics.OutcomeTag, "error"), Is.EqualTo(1));
            Assert.That(duration.Instrument!.Unit, Is.EqualTo("s"));
            Assert.That(duration.GetMeasurementSnapshot(), Has.Count.EqualTo(3));
            Assert.That(duration.GetMeasurementSnapshot().Select(m => m.Value), Is.All.InRange(0.015, 5.0));
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_relay_sent_as_a_notification_is_counted_when_forwarded()
    {
        await using var server = await TestServer.StartAsync();
        using var relays = Collect<long>(server, "p2p.signaling.relays");
        await using var a = await RawClient.ConnectAsync(server.Uri);
        await using var b = await RawClient.ConnectAsync(server.Uri);
        var group = (await a.CallAsync("create", "[]")).GetProperty("result").GetString()!;
        await b.CallAsync("join", $"[\"{group}\"]");

        await a.SendAsync($"{{\"jsonrpc\":\"2.0\",\"method\":\"relay\",\"params\":[\"{group}\",\"{b.UserId}\",1]}}");
        await b.RelayRequestAsync();
        Assert.That(relays.Sum(SignalingMetrics.OutcomeTag, "notification"), Is.EqualTo(1));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_relay_that_times_out_counts_as_timeout_and_as_an_error_sent(CancellationToken ct)
    {
        await using var server = await TestServer.StartAsync(o => o.RelayTimeout = TimeSpan.FromMilliseconds(200));
        using var relays = Collect<long>(server, "p2p.signaling.relays");
        using var errors = Collect<long>(server, "p2p.signaling.errors");
        using var duration = Collect<double>(server, "p2p.signaling.relay.duration");

        await using var a = await ClientAsync(server, ct);
        await using var b = await ClientAsync(server, ct);
        var group = await a.CreateGroupAsync(null, ct);
        await b.JoinGroupAsync(group, ct);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.RelayHandler = async (_, token) =>
        {
            await release.Task.WaitAsync(token);
            return Data;
        };

        var ex = Assert.CatchAsync<SignalingException>(async () => await a.RelayAsync(group, b.UserId!, Data, ct));
        release.SetResult();
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.RelayTimeout));
            Assert.That(relays.Sum(SignalingMetrics.OutcomeTag, "timeout"), Is.EqualTo(1));
            Assert.That(errors.Sum(SignalingMetrics.ErrorCodeTag, (int)SignalingErrorCode.RelayTimeout), Is.EqualTo(1));
            Assert.That(duration.GetMeasurementSnapshot(), Is.Empty, "no answer came back");
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Errors_sent_are_counted_by_their_json_rpc_code(CancellationToken ct)
    {
        await using var server = await TestServer.StartAsync();
        using var errors = Collect<long>(server, "p2p.signaling.errors");
        await using var a = await ClientAsync(server, ct);
        var group = await a.CreateGroupAsync(null, ct);

        Assert.That(async () => await a.JoinGroupAsync("no-such-group", ct), Throws.InstanceOf<SignalingException>());
        Assert.That(async () => await a.JoinGroupAsync("no-such-group", ct), Throws.InstanceOf<SignalingException>());
        Assert.That(async () => await a.RelayAsync(group, "nobody", Data, ct), Throws.InstanceOf<SignalingException>());

        Assert.Multiple(() =>
        {
            Assert.That(errors.Sum(SignalingMetrics.ErrorCodeTag, (int)SignalingErrorCode.GroupNotFound), Is.EqualTo(2));
            Assert.That(errors.Sum(SignalingMetrics.ErrorCodeTag, (int)SignalingErrorCode.TargetUnavailable), Is.EqualTo(1));
            Assert.That(errors.Sum(), Is.EqualTo(3));
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Each_server_has_its_own_meter_so_parallel_hosts_do_not_mix(CancellationToken ct)
    {
        await using var one = await TestServer.StartAsync();
        await using var other = await TestServer.StartAsync();
        using var connections = Collect<long>(one, "p2p.signaling.connections");
        await using var client = await ClientAsync(other, ct);
        await using var mine = await ClientAsync(one, ct);
        await connections.UntilAsync(c => c.Sum() == 1, "one connection on this server");
        Assert.That(connections.GetMeasurementSnapshot(), Has.Count.EqualTo(1));
    }
}
