using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Diagnostics;
using P2p.Signaling.Server.Tests.Cluster;
using P2p.Signaling.Server.Tests.Support;
using P2p.Signaling.WebSockets;
using P2p.Testing;

namespace P2p.Signaling.Server.Tests.Diagnostics;

/// <summary>The instruments of two instances sharing a real Redis: each relay is counted once, on the instance that saw how it ended.</summary>
[NonParallelizable]
public class ClusterMetricsTests
{
    private static readonly JsonElement Data = JsonElement.Parse("""{"type":"offer"}""");

    private static MetricCollector<T> Collect<T>(EmbeddedSignalingServer server, string instrument)
        where T : struct =>
        new(server.Services.GetRequiredService<IMeterFactory>(), SignalingMetrics.MeterName, instrument);

    [Test]
    [CancelAfter(60_000)]
    public async Task A_relay_across_instances_is_counted_once_answered_where_its_target_is_and_failed_where_its_sender_is(CancellationToken ct)
    {
        await using var redis = await RedisServer.StartAsync(cancellationToken: ct);
        await using var a = await TestServer.StartAsync(o => ClusterTests.Configure(o, redis));
        await using var b = await TestServer.StartAsync(o => ClusterTests.Configure(o, redis));
        using var relaysA = Collect<long>(a, "p2p.signaling.relays");
        using var relaysB = Collect<long>(b, "p2p.signaling.relays");
        using var durationB = Collect<double>(b, "p2p.signaling.relay.duration");
        using var createdA = Collect<long>(a, "p2p.signaling.groups.created");
        using var createdB = Collect<long>(b, "p2p.signaling.groups.created");
        using var membershipsA = Collect<long>(a, "p2p.signaling.group_memberships");
        using var membershipsB = Collect<long>(b, "p2p.signaling.group_memberships");
        using var errorsA = Collect<long>(a, "p2p.signaling.errors");

        await using var sender = await WebSocketSignalingChannel.ConnectAsync(a.Uri, cancellationToken: ct);
        await using var target = await WebSocketSignalingChannel.ConnectAsync(b.Uri, cancellationToken: ct);
        await sender.InitAsync(ct);
        await target.InitAsync(ct);
        var group = await sender.CreateGroupAsync(null, ct);
        await target.JoinGroupAsync(group, ct);
        var silent = false;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        target.RelayHandler = async (_, token) =>
        {
            if (silent)
            {
                await release.Task.WaitAsync(token);
            }

            return Data;
        };

        await sender.RelayAsync(group, target.UserId!, Data, ct);
        silent = true;
        var timedOut = Assert.CatchAsync<SignalingException>(async () => await sender.RelayAsync(group, target.UserId!, Data, ct));
        release.SetResult();

        Assert.Multiple(() =>
        {
            Assert.That(createdA.Sum(), Is.EqualTo(1));
            Assert.That(createdB.Sum(), Is.Zero);
            Assert.That(membershipsA.Sum(), Is.EqualTo(1));
            Assert.That(membershipsB.Sum(), Is.EqualTo(1));
            Assert.That(timedOut!.Code, Is.EqualTo(SignalingErrorCode.RelayTimeout));
            Assert.That(relaysB.Sum(SignalingMetrics.OutcomeTag, "answered"), Is.EqualTo(1), "answered on the target's instance");
            Assert.That(durationB.GetMeasurementSnapshot(), Has.Count.EqualTo(1));
            Assert.That(relaysA.Sum(SignalingMetrics.OutcomeTag, "timeout"), Is.EqualTo(1), "failed on the sender's instance");
            Assert.That(errorsA.Sum(SignalingMetrics.ErrorCodeTag, (int)SignalingErrorCode.RelayTimeout), Is.EqualTo(1));
            Assert.That(relaysA.Sum() + relaysB.Sum(), Is.EqualTo(2), "each relay once");
        });
    }
}
