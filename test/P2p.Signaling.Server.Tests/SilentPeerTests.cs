using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests;

/// <summary>A peer that stops reading without closing TCP (a half-open connection) is detected by the keep-alive timeout.</summary>
public class SilentPeerTests
{
    [Test]
    public async Task A_peer_that_stops_answering_pings_is_dropped_and_its_relays_fail()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            o.KeepAliveTimeout = TimeSpan.FromMilliseconds(300);
            o.ResumeGracePeriod = TimeSpan.FromMilliseconds(200); // detached first, then member_left
        });
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        var group = (await owner.CallAsync("create", "[]")).GetProperty("result").GetString()!;

        // A hand-made WebSocket client: handshake, init, join, then silence (it never answers a ping).
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Uri.Host, server.Uri.Port);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET / HTTP/1.1\r\nHost: {server.Uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var response = await ReadHttpHeadAsync(stream);
        Assert.That(response, Does.StartWith("HTTP/1.1 101"));
        await stream.WriteAsync(MaskedTextFrame("""{"jsonrpc":"2.0","method":"init","params":[]}"""));
        await stream.WriteAsync(MaskedTextFrame($$"""{"jsonrpc":"2.0","method":"join","params":["{{group}}"]}"""));
        var joined = await owner.NotificationAsync("member_joined");
        var silentId = joined.GetProperty("params")[1].GetString();

        // A relay to it waits; the server drops the silent peer when its pong does not come.
        var relay = owner.CallAsync("relay", $"[\"{group}\",\"{silentId}\",{{\"type\":\"offer\",\"sdp\":\"\"}}]");
        var error = (await relay.WaitAsync(RawClient.Wait)).GetProperty("error").GetProperty("code").GetInt32();
        Assert.That(error, Is.EqualTo(-32004));
        var left = await owner.NotificationAsync("member_left");
        Assert.That(left.GetProperty("params")[1].GetString(), Is.EqualTo(silentId));
    }

    private static async Task<string> ReadHttpHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(RawClient.Wait);
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, timeout.Token) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>A client → server text frame (RFC 6455 section 5.2: FIN, opcode 1, masked).</summary>
    private static byte[] MaskedTextFrame(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        Assert.That(payload.Length, Is.LessThan(126));
        var mask = RandomNumberGenerator.GetBytes(4);
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        return frame;
    }
}
