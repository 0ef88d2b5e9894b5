using System.Text;

namespace P2p.Fuzzing.Seeds;

/// <summary>What the signaling server sends a client (docs/protocol.md), as our server writes it.</summary>
internal static class SignalingClientSeeds
{
    public static IEnumerable<Seed> All()
    {
        string[] messages =
        [
            """{"jsonrpc":"2.0","id":1,"result":"0123456789abcdef0123456789abcdef"}""",
            """{"jsonrpc":"2.0","id":2,"result":["0123456789abcdef0123456789abcdef","fedcba9876543210fedcba9876543210"]}""",
            """{"jsonrpc":"2.0","id":3,"result":{"id":"g1","owner":"0123456789abcdef0123456789abcdef","capability":15,"members":["0123456789abcdef0123456789abcdef"]}}""",
            """{"jsonrpc":"2.0","id":4,"result":[{"urls":["turn:127.0.0.1:3478?transport=udp"],"username":"1700000000:u","credential":"x"},{"urls":"stun:127.0.0.1:3478"}]}""",
            """{"jsonrpc":"2.0","id":5,"result":{"token":"AAAA","expiresIn":60}}""",
            """{"jsonrpc":"2.0","id":6,"error":{"code":-32002,"message":"No such group.","data":{"groupId":"g1"}}}""",
            """{"jsonrpc":"2.0","method":"member_joined","params":["g1","fedcba9876543210fedcba9876543210"]}""",
            """{"jsonrpc":"2.0","id":7,"method":"relay","params":["g1","fedcba9876543210fedcba9876543210",{"type":"offer","sdp":"v=0\r\n"}]}""",
            """{"jsonrpc":"2.0","id":8,"method":"relay","params":["g1","fedcba9876543210fedcba9876543210",{"type":"candidate","candidate":"candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}]}""",
            """{"jsonrpc":"2.0","id":9,"method":"relay","params":["g1","fedcba9876543210fedcba9876543210",{"type":"restart"}]}""",
            """{"jsonrpc":"2.0","id":"x","method":"unknown","params":[]}""",
        ];
        return messages.Select((m, i) => new Seed($"message-{i:D2}", Encoding.UTF8.GetBytes(m)));
    }
}
