extern alias server;
using System.Text;
using server::P2p.Signaling.Server.Redis;

namespace P2p.Fuzzing.Seeds;

/// <summary>Backplane messages of every kind, as a server instance encodes them.</summary>
internal static class BackplaneSeeds
{
    public static IEnumerable<Seed> All()
    {
        BackplaneMessage[] messages =
        [
            new(BackplaneMessageKind.Relay, 42, 0, false, "instance-1", "g1", "0123456789abcdef0123456789abcdef", "", Encoding.UTF8.GetBytes("{\"type\":\"offer\"}")),
            new(BackplaneMessageKind.Notify, Payload: Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"method\":\"member_left\",\"params\":[\"g1\",\"u\"]}")),
            new(BackplaneMessageKind.Kick, Instance: "instance-2"),
            new(BackplaneMessageKind.Answer, 42, 0, true, Payload: Encoding.UTF8.GetBytes("{\"code\":-1,\"message\":\"x\"}")),
            new(BackplaneMessageKind.Failure, 42, -32004, false, Text: "User gone."),
        ];
        return messages.Select(m => new Seed($"message-{m.Kind}", m.Encode()));
    }
}
