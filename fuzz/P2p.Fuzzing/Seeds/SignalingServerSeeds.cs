using System.Text;

namespace P2p.Fuzzing.Seeds;

/// <summary>Conversations of two clients with the server (docs/protocol.md), as our client writes them; see the target for $G/$A/$B and B:.</summary>
internal static class SignalingServerSeeds
{
    public static IEnumerable<Seed> All()
    {
        string[][] conversations =
        [
            [
                """{"jsonrpc":"2.0","id":3,"method":"get_members","params":["$G"]}""",
                """{"jsonrpc":"2.0","id":4,"method":"get_group","params":["$G"]}""",
                """{"jsonrpc":"2.0","id":5,"method":"relay","params":["$G","$B",{"type":"offer","sdp":"v=0\r\n"}]}""",
                """B:{"jsonrpc":"2.0","id":1,"result":{"type":"answer","sdp":"v=0\r\n"}}""",
                """{"jsonrpc":"2.0","method":"relay","params":["$G","$B",{"type":"candidate","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}]}""",
                """{"jsonrpc":"2.0","id":6,"method":"leave","params":["$G"]}""",
            ],
            [
                """{"jsonrpc":"2.0","id":3,"method":"create","params":[15]}""",
                """{"jsonrpc":"2.0","id":4,"method":"join","params":["nope"]}""",
                """{"jsonrpc":"2.0","id":5,"method":"get_ice_servers","params":[]}""",
                """{"jsonrpc":"2.0","id":6,"method":"get_resume_token","params":[]}""",
                """{"jsonrpc":"2.0","id":7,"method":"resume","params":["AAAA"]}""",
                """B:{"jsonrpc":"2.0","id":9,"method":"relay","params":["$G","$A",{"type":"offer"}]}""",
                """{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"no"}}""",
            ],
            [
                """[{"jsonrpc":"2.0","id":1,"method":"init"}]""",
                """{"jsonrpc":"2.0","id":{},"method":"init"}""",
                """{"jsonrpc":"2.0","id":2,"method":"join","params":{"groupId":"$G"}}""",
                """not json""",
            ],
        ];
        return conversations.Select((c, i) => new Seed($"conversation-{i}", Encoding.UTF8.GetBytes(string.Join('\n', c))));
    }
}
