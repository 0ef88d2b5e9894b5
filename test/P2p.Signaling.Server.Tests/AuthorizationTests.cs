using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using P2p.Signaling.Server.Authorization;
using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests;

/// <summary>The <see cref="ISignalingAuthorizer"/> hook: asked before create and join, refusals are -32042, failures -32603.</summary>
public class AuthorizationTests
{
    /// <summary>Refuses joining groups in <see cref="RefusedGroups"/>, and creating when <see cref="RefuseCreate"/>; throws for <see cref="ThrowingGroups"/>.</summary>
    private sealed class ScriptedAuthorizer : ISignalingAuthorizer
    {
        public ConcurrentBag<string> RefusedGroups { get; } = [];

        public ConcurrentBag<string> ThrowingGroups { get; } = [];

        public volatile bool RefuseCreate;

        public ConcurrentQueue<(string Method, string UserId, string? GroupId, int Capability)> Calls { get; } = new();

        public ValueTask<bool> CanCreateAsync(SignalingAuthorizationContext context, int capability, CancellationToken cancellationToken)
        {
            Calls.Enqueue(("create", context.UserId, null, capability));
            return ValueTask.FromResult(!RefuseCreate);
        }

        public async ValueTask<bool> CanJoinAsync(SignalingAuthorizationContext context, string groupId, CancellationToken cancellationToken)
        {
            Calls.Enqueue(("join", context.UserId, groupId, 0));
            await Task.Yield(); // an asynchronous answer, as one that looks something up would give
            if (ThrowingGroups.Contains(groupId))
            {
                throw new InvalidOperationException("the authorization service is down");
            }

            return !RefusedGroups.Contains(groupId);
        }
    }

    private static string Result(System.Text.Json.JsonElement response) => response.GetProperty("result").GetString()!;

    [Test]
    public async Task A_refused_join_gets_minus_32042_with_a_clear_message_while_other_groups_can_be_joined()
    {
        var authorizer = new ScriptedAuthorizer();
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<ISignalingAuthorizer>(authorizer));
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        await using var guest = await RawClient.ConnectAsync(server.Uri);
        var secret = Result(await owner.CallAsync("create", "[]"));
        var open = Result(await owner.CallAsync("create", "[]"));
        authorizer.RefusedGroups.Add(secret);

        var refused = await guest.CallAsync("join", $"[\"{secret}\"]");
        Assert.That(refused.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32042));
        Assert.That(refused.GetProperty("error").GetProperty("message").GetString(), Is.EqualTo($"Forbidden: not allowed to join group '{secret}'."));
        Assert.That((await guest.CallAsync("join", $"[\"{open}\"]")).GetProperty("result").GetBoolean(), Is.True);
        Assert.That(await guest.ErrorCodeAsync("get_members", $"[\"{secret}\"]"), Is.EqualTo(-32003), "the refused join changed nothing");
        Assert.That(authorizer.Calls.Where(c => c.Method == "join").Select(c => (c.UserId, c.GroupId)), Is.EqualTo(new[] { (guest.UserId, (string?)secret), (guest.UserId, open) }));
    }

    [Test]
    public async Task A_refused_create_gets_minus_32042_and_the_authorizer_sees_the_capability()
    {
        var authorizer = new ScriptedAuthorizer { RefuseCreate = true };
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<ISignalingAuthorizer>(authorizer));
        await using var ua = await RawClient.ConnectAsync(server.Uri);

        var refused = await ua.CallAsync("create", "[5]");
        Assert.That(refused.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32042));
        Assert.That(refused.GetProperty("error").GetProperty("message").GetString(), Is.EqualTo("Forbidden: not allowed to create a group."));
        Assert.That(authorizer.Calls.Single(), Is.EqualTo(("create", ua.UserId, (string?)null, 5)));
        authorizer.RefuseCreate = false;
        Assert.That((await ua.CallAsync("create", "[]")).TryGetProperty("result", out _), Is.True);
        Assert.That(server.Services.GetRequiredService<Groups.IGroupStore>() is Groups.InMemoryGroupStore { Count: 1 }, "only the allowed group exists");
    }

    [Test]
    public async Task An_authorizer_that_throws_fails_only_that_call_with_minus_32603()
    {
        var authorizer = new ScriptedAuthorizer();
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<ISignalingAuthorizer>(authorizer));
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        await using var guest = await RawClient.ConnectAsync(server.Uri);
        var broken = Result(await owner.CallAsync("create", "[]"));
        var fine = Result(await owner.CallAsync("create", "[]"));
        authorizer.ThrowingGroups.Add(broken);

        Assert.That(await guest.ErrorCodeAsync("join", $"[\"{broken}\"]"), Is.EqualTo(-32603));
        Assert.That((await guest.CallAsync("join", $"[\"{fine}\"]")).GetProperty("result").GetBoolean(), Is.True, "the connection carries on");
        Assert.That(guest.CloseStatus, Is.Null);
    }

    [Test]
    public async Task Joining_a_group_one_is_already_in_does_not_ask_again()
    {
        var authorizer = new ScriptedAuthorizer();
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<ISignalingAuthorizer>(authorizer));
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        var group = Result(await owner.CallAsync("create", "[]"));
        authorizer.RefusedGroups.Add(group); // too late for its creator, who is a member already

        Assert.That((await owner.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);
        Assert.That(authorizer.Calls.Count(c => c.Method == "join"), Is.Zero);
    }

    [Test]
    public async Task An_authorizer_registered_before_AddP2pSignaling_wins_over_the_default()
    {
        var authorizer = new ScriptedAuthorizer { RefuseCreate = true };
        await using var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions
        {
            ConfigureServices = s => s.AddSingleton<ISignalingAuthorizer>(authorizer), // runs before AddP2pSignaling
        });
        await using var ua = await RawClient.ConnectAsync(server.Uri);
        Assert.That(await ua.ErrorCodeAsync("create", "[]"), Is.EqualTo(-32042));
    }

    [Test]
    public async Task An_authorizer_registered_after_AddP2pSignaling_wins_over_the_default()
    {
        var authorizer = new ScriptedAuthorizer { RefuseCreate = true };
        var services = new ServiceCollection();
        services.AddP2pSignaling();
        services.AddSingleton<ISignalingAuthorizer>(authorizer);
        await using var provider = services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<SignalingHub>().Authorizer, Is.SameAs(authorizer));
    }

    [Test]
    public async Task Without_an_authorizer_everything_is_allowed()
    {
        await using var server = await TestServer.StartAsync();
        Assert.That(server.Services.GetRequiredService<SignalingHub>().Authorizer, Is.InstanceOf<AllowAllSignalingAuthorizer>());
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        await using var guest = await RawClient.ConnectAsync(server.Uri);
        var group = Result(await owner.CallAsync("create", "[]"));
        Assert.That((await guest.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);
    }
}
