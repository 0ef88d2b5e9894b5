using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using P2p.Core;
using P2p.Hosting;

namespace P2p.Worker;

/// <summary>
/// A long-lived group member as a background service: joins the group named by the configuration key <c>Group</c> (or
/// creates one and logs its id), logs what it receives, answers requests, and leaves when the host stops.
/// </summary>
internal sealed class GroupMemberWorker(P2pClient client, IConfiguration configuration, ILogger<GroupMemberWorker> logger, IHostApplicationLifetime lifetime) : BackgroundService
{
    /// <summary>Completes once the member is in its group (for tests and for whoever waits on the host).</summary>
    public TaskCompletionSource<IGroup> Joined { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var service = await client.GetServiceAsync(stoppingToken);
        var options = new GroupOptions
        {
            MessageHandler = (from, data, _) =>
            {
                logger.LogInformation("{From}: {Text}", from.Id, Encoding.UTF8.GetString(data.Span));
                return ValueTask.CompletedTask;
            },
            RequestHandler = (from, data, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes($"worker got: {Encoding.UTF8.GetString(data.Span)}")),
        };
        var groupId = configuration["Group"];
        await using var group = groupId is { Length: > 0 }
            ? await service.JoinGroupAsync(groupId, options, stoppingToken)
            : await service.CreateGroupAsync(GroupCapability.All, options, stoppingToken);
        logger.LogInformation("Member {MemberId} of group {GroupId}", group.LocalMember.Id, group.Id);
        group.MemberJoined += (_, e) => logger.LogInformation("{MemberId} joined", e.Peer.Id);
        group.MemberLeft += (_, e) => logger.LogInformation("{MemberId} left", e.Peer.Id);
        Joined.TrySetResult(group);
        if (configuration["Once"] is "true")
        {
            lifetime.StopApplication();
        }

        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("Leaving group {GroupId}", group.Id);
        }
    }
}
