extern alias server;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using P2p.Fuzzing.Support;
using server::P2p.Signaling.Server;
using server::P2p.Signaling.Server.Groups;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// JSON-RPC 2.0 messages as the signaling server receives them (docs/protocol.md), given to the real
/// <c>SignalingConnection.OnMessageAsync</c> of a hub with the in-memory group store on a virtual clock: parse,
/// dispatch by method, every method's parameter checks, relays to another member and that member's answers. The
/// set-up: members A and B are initialised and share a group. The input is messages, one per line, to A — or to B
/// when the line starts with <c>B:</c>; <c>$G</c>, <c>$A</c> and <c>$B</c> in a line become the group's and the members'
/// ids so the fuzzer can reach the paths behind them. Every bad message is answered with a JSON-RPC error; nothing
/// may throw out of the connection.
/// </summary>
internal static class SignalingServerTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var hub = new SignalingHub(Options.Create(new SignalingServerOptions()), new InMemoryGroupStore(), timeProvider: new FakeTimeProvider());
        var socketA = new RecordingWebSocket();
        var socketB = new RecordingWebSocket();
        using var a = new SignalingConnection(hub, socketA, 1);
        using var b = new SignalingConnection(hub, socketB, 2);
        var pending = new List<Task>();
        Send(a, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"init\",\"params\":[]}", pending);
        Send(b, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"init\",\"params\":[]}", pending);
        Send(a, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"create\",\"params\":[]}", pending);
        var group = JsonDocument.Parse(socketA.LastSent).RootElement.GetProperty("result").GetString()!;
        Send(b, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"join\",\"params\":[\"" + group + "\"]}", pending);

        var text = Encoding.UTF8.GetString(data);
        foreach (var rawLine in text.Split('\n'))
        {
            var toB = rawLine.StartsWith("B:", StringComparison.Ordinal);
            var line = (toB ? rawLine[2..] : rawLine).Replace("$G", group, StringComparison.Ordinal)
                .Replace("$A", a.UserId, StringComparison.Ordinal).Replace("$B", b.UserId, StringComparison.Ordinal);
            Send(toB ? b : a, line, pending);
        }

        a.Abort();
        b.Abort();
        foreach (var task in pending)
        {
            if (task.IsFaulted)
            {
                throw new InvalidOperationException("A request's processing failed outside its guard.", task.Exception);
            }
        }
    }

    private static void Send(SignalingConnection connection, string message, List<Task> pending)
    {
        var buffer = Encoding.UTF8.GetBytes(message);
        var work = connection.OnMessageAsync(buffer, buffer.Length);
        if (!work.IsCompletedSuccessfully)
        {
            pending.Add(work.AsTask());
        }
    }
}
