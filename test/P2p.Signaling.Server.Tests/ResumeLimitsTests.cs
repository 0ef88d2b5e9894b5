using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using P2p.Signaling.Server.Authorization;
using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests;

/// <summary>Issue 19: what one <c>resume</c> message makes the server do is bounded by <see cref="SignalingServerOptions.MaxGroupsPerConnection"/>.</summary>
public class ResumeLimitsTests
{
    /// <summary>Refuses every join and counts the questions.</summary>
    private sealed class RefusingAuthorizer : ISignalingAuthorizer
    {
        public ConcurrentQueue<string> Asked { get; } = new();

        public ValueTask<bool> CanCreateAsync(SignalingAuthorizationContext context, int capability, CancellationToken cancellationToken) =>
            ValueTask.FromResult(false);

        public ValueTask<bool> CanJoinAsync(SignalingAuthorizationContext context, string groupId, CancellationToken cancellationToken)
        {
            Asked.Enqueue(groupId);
            return ValueTask.FromResult(false);
        }
    }

    [Test]
    public async Task A_resume_after_a_restart_looks_at_no_more_claimed_groups_than_a_connection_may_hold()
    {
        const int limit = 3;
        var key = SignalingServerOptions.NewResumeKey();
        string token;
        await using (var first = await TestServer.StartAsync(resumeKey: key))
        {
            await using var client = await RawClient.ConnectAsync(first.Uri);
            token = (await client.CallAsync("get_resume_token", "[]")).GetProperty("result").GetProperty("token").GetString()!;
        }

        var authorizer = new RefusingAuthorizer();
        await using var second = await TestServer.StartAsync(
            o => o.MaxGroupsPerConnection = limit, s => s.AddSingleton<ISignalingAuthorizer>(authorizer), resumeKey: key);
        await using var resumed = await RawClient.ConnectAsync(second.Uri, init: false);
        var groups = "[" + string.Join(",", Enumerable.Range(0, 500).Select(i => $$"""{"id":"{{i:x32}}"}""")) + "]";

        var result = (await resumed.CallAsync("resume", $"[\"{token}\",{groups}]")).GetProperty("result");

        Assert.That(result.GetProperty("groups").GetArrayLength(), Is.Zero);
        Assert.That(authorizer.Asked, Has.Count.EqualTo(limit));
    }
}
