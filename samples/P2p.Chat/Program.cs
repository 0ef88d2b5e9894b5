using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;

// A console chat over a P2p group: lines you type are broadcast to everyone; "/to MEMBER text" sends
// to one member (who acknowledges it); "/members" lists the members; "/quit" (or end of input) leaves.
const string Usage = """
    usage: dotnet run --project samples/P2p.Chat -- [--server ws://127.0.0.1:3001/] [--group ID] [--name NAME] [--loopback] [--verbose]
      --server URL   the signaling server (default ws://127.0.0.1:3001/: dotnet run --project src/P2p.Signaling.Server)
      --group ID     join this group; without it a new group is created and its id printed
      --name NAME    shown before your messages (default: your member id)
      --loopback     use 127.0.0.1 only (all members on this machine)
    commands: text (to everyone) | /to MEMBER text | /members | /quit
    """;

var server = new Uri("ws://127.0.0.1:3001/");
string? groupId = null;
string? name = null;
var loopback = false;
var verbose = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--server" when i + 1 < args.Length && Uri.TryCreate(args[i + 1], UriKind.Absolute, out var uri) && uri.Scheme is "ws" or "wss":
            server = uri;
            i++;
            break;
        case "--group" when i + 1 < args.Length:
            groupId = args[++i];
            break;
        case "--name" when i + 1 < args.Length:
            name = args[++i];
            break;
        case "--loopback":
            loopback = true;
            break;
        case "--verbose":
            verbose = true;
            break;
        default:
            Console.Error.WriteLine($"Bad argument '{args[i]}'.");
            Console.Error.WriteLine(Usage);
            return 2;
    }
}

using var logging = LoggerFactory.Create(b => b
    .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning)
    .AddConsole(c => c.LogToStandardErrorThreshold = LogLevel.Trace) // logs to stderr: stdout is the chat
    .AddSimpleConsole(c => c.SingleLine = true));
var transport = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
{
    AddressFilter = loopback ? a => a.Equals(IPAddress.Loopback) : null,
    LoggerFactory = logging,
});
var options = new GroupOptions
{
    MessageHandler = (from, data, _) =>
    {
        Console.WriteLine($"<{Short(from.Id)}> {Encoding.UTF8.GetString(data.Span)}");
        return ValueTask.CompletedTask;
    },
    RequestHandler = (from, data, _) =>
    {
        Console.WriteLine($"<{Short(from.Id)} to you> {Encoding.UTF8.GetString(data.Span)}");
        return ValueTask.FromResult<ReadOnlyMemory<byte>>("received"u8.ToArray());
    },
};

IGroup group;
try
{
    var signaling = await WebSocketSignalingChannel.ConnectAsync(server);
    group = groupId is null
        ? await Group.CreateAsync(signaling, transport, GroupCapability.All, options, new P2pOptions { LoggerFactory = logging })
        : await Group.JoinAsync(signaling, transport, groupId, options, new P2pOptions { LoggerFactory = logging });
}
catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or P2p.Signaling.Abstractions.SignalingException or HttpRequestException)
{
    Console.Error.WriteLine($"Could not {(groupId is null ? "create a group" : $"join group {groupId}")} on {server}: {e.Message}");
    return 1;
}

await using (group)
{
    group.MemberJoined += (_, e) => Console.WriteLine($"* {Short(e.Peer.Id)} joined");
    group.MemberLeft += (_, e) => Console.WriteLine($"* {Short(e.Peer.Id)} left");
    group.MemberStateChanged += (_, e) =>
    {
        if (e.Peer.State is PeerState.Connected or PeerState.Failed)
        {
            Console.WriteLine($"* {Short(e.Peer.Id)} {e.Peer.State.ToString().ToLowerInvariant()}");
        }
    };
    Console.WriteLine(groupId is null
        ? $"* created group {group.Id} — others join with: --group {group.Id}"
        : $"* joined group {group.Id} ({group.Members.Count} other members)");
    if (group.Members.Count > 0)
    {
        // Let the links to the members already here come up before the first line is sent.
        using var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await group.WhenAllConnectedAsync(connecting.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("* not connected to every member yet; messages reach those that are");
        }
    }

    Console.WriteLine($"* you are {Short(group.LocalMember.Id)}; type to talk, /to MEMBER text, /members, /quit");

    while (Console.ReadLine() is { } line)
    {
        line = line.Trim();
        if (line.Length == 0)
        {
            continue;
        }

        try
        {
            if (line == "/quit")
            {
                break;
            }

            if (line == "/members")
            {
                foreach (var member in group.Members)
                {
                    Console.WriteLine($"* {Short(member.Id)} {member.State}{(member.IsOwner ? " (owner)" : string.Empty)}");
                }

                continue;
            }

            if (line.StartsWith("/to ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
                var target = parts.Length == 3 ? group.Members.FirstOrDefault(m => m.Id.StartsWith(parts[1], StringComparison.Ordinal)) : null;
                if (target is null)
                {
                    Console.WriteLine("* usage: /to MEMBER text — MEMBER is a member id or its beginning (see /members)");
                    continue;
                }

                var reply = await group.UnicastAsync(target.Id, Encoding.UTF8.GetBytes(Say(parts[2])));
                Console.WriteLine($"* {Short(target.Id)} {Encoding.UTF8.GetString(reply.Span)}");
                continue;
            }

            var result = await group.BroadcastAsync(Encoding.UTF8.GetBytes(Say(line)));
            if (result.Failed.Count > 0)
            {
                Console.WriteLine($"* not delivered to {string.Join(", ", result.Failed.Select(f => Short(f.Peer.Id)))}");
            }
        }
        catch (GroupException e)
        {
            Console.WriteLine($"* {e.Message}");
        }
    }
}

return 0;

string Say(string text) => name is null ? text : $"{name}: {text}";

static string Short(string id) => id[..8];
