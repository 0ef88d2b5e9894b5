// What the README's Quickstart takes as given: a signaling server at ws://127.0.0.1:3001/ (build/pack-and-consume.sh
// starts the p2p-signaling tool there, installed from the packages) and the id of an existing group (`groupId`)
// whose owner answers unicasts: created here, from the packages alone, the first time the quickstart reads it.
global using static P2p.Consumer.Harness;
using P2p.Core;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;

namespace P2p.Consumer;

internal static class Harness
{
    private static readonly TaskCompletionSource s_broadcastReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static IGroup? s_owner;
    private static string? s_groupId;

    /// <summary>The quickstart's group: created on first use by the harness, which is its owner.</summary>
#pragma warning disable IDE1006 // the quickstart's own name for it
    public static string groupId => s_groupId ??= CreateGroupAsync().GetAwaiter().GetResult();
#pragma warning restore IDE1006

    private static async Task<string> CreateGroupAsync()
    {
        var signaling = await WebSocketSignalingChannel.ConnectAsync(new Uri("ws://127.0.0.1:3001/"));
        s_owner = await Group.CreateAsync(signaling, new WebRtcPeerConnectionFactory(), GroupCapability.All, new GroupOptions
        {
            MessageHandler = (from, data, ct) => { s_broadcastReceived.TrySetResult(); return ValueTask.CompletedTask; },
            RequestHandler = (from, data, ct) => ValueTask.FromResult(data),
        });
        return s_owner.Id;
    }

    public static async Task<bool> OwnerReceivedBroadcastAsync(TimeSpan timeout)
    {
        try
        {
            await s_broadcastReceived.Task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The P2p.Signaling.Server package in-process: an embedded server on a free port answers `init`.</summary>
    public static async Task<bool> EmbeddedServerAnswersAsync()
    {
        await using var server = await EmbeddedSignalingServer.StartAsync();
        await using var signaling = await WebSocketSignalingChannel.ConnectAsync(server.Uri);
        return (await signaling.InitAsync()).Length == 32;
    }

    public static async Task StopAsync()
    {
        if (s_owner is not null) await s_owner.DisposeAsync();
    }
}
