using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;

var signaling = await WebSocketSignalingChannel.ConnectAsync(new Uri("ws://127.0.0.1:3001/"));
await using var group = await Group.JoinAsync(signaling, new WebRtcPeerConnectionFactory(), groupId, new GroupOptions
{
    MessageHandler = (from, data, ct) => { Console.WriteLine($"{from.Id}: {data.Length} bytes"); return ValueTask.CompletedTask; },
    RequestHandler = (from, data, ct) => ValueTask.FromResult(data),   // answer unicasts (echo)
});
await group.WhenAllConnectedAsync();                               // the direct connections are up
await group.BroadcastAsync("hello, everyone"u8.ToArray());
var reply = await group.UnicastAsync(group.OwnerId, "ping"u8.ToArray());

// ---- Everything above is the README's Quickstart, verbatim (build/pack-and-consume.sh checks it). ----
// Below: not part of the quickstart; checks that it ran. Its `groupId` comes from Harness.cs, its server from the script.
if (!reply.Span.SequenceEqual("ping"u8))
{
    Console.Error.WriteLine($"consumer: the owner answered {reply.Length} unexpected bytes");
    return 1;
}
if (!await OwnerReceivedBroadcastAsync(TimeSpan.FromSeconds(10)))
{
    Console.Error.WriteLine("consumer: the owner did not receive the quickstart's broadcast");
    return 1;
}
await group.DisposeAsync();
await StopAsync();
if (!await EmbeddedServerAnswersAsync())
{
    Console.Error.WriteLine("consumer: the embedded signaling server (P2p.Signaling.Server package) did not answer init");
    return 1;
}
Console.WriteLine($"consumer: the quickstart joined group {groupId}, broadcast and got its unicast answered; an embedded server answered");
return 0;
