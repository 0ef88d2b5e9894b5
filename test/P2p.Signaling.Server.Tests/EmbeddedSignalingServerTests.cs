using System.Net.WebSockets;
using P2p.Signaling.WebSockets;

namespace P2p.Signaling.Server.Tests;

public class EmbeddedSignalingServerTests
{
    [Test]
    [CancelAfter(20_000)]
    public async Task Serves_the_protocol_on_a_free_loopback_port_at_its_path_and_stops(CancellationToken ct)
    {
        var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { Path = "/p2p" }, ct);
        Assert.Multiple(() =>
        {
            Assert.That(server.Uri.Scheme, Is.EqualTo("ws"));
            Assert.That(server.Uri.Host, Is.EqualTo("127.0.0.1"));
            Assert.That(server.Uri.Port, Is.Not.Zero);
            Assert.That(server.Uri.AbsolutePath, Is.EqualTo("/p2p"));
            Assert.That(server.HttpUri.Scheme, Is.EqualTo("http"));
        });

        await using (var client = await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct))
        {
            Assert.That(await client.InitAsync(ct), Has.Length.EqualTo(32));
        }

        await server.DisposeAsync();
        var refused = Assert.CatchAsync(() => WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct));
        Assert.That(refused, Is.InstanceOf<WebSocketException>().Or.InstanceOf<HttpRequestException>().Or.InstanceOf<Abstractions.SignalingException>());
    }
}
