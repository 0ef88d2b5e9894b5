using System.Text.Json;
using Microsoft.Playwright;
using P2p.Testing;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// p2p.js's SignalingChannel riding out an outage: a proxy between the page and the server resets the connection
/// (no close handshake, so the server detaches the member and the page sees code 1006), calls fail fast with -32023,
/// and when the proxy lets connections through again the channel resumes with the same user id and group.
/// </summary>
[TestFixture]
[NonParallelizable]
public class BrowserClientReconnectTests : BrowserClientTestBase
{
    private const string Setup = """
        async ({ url, group }) => {
          const p2p = await import("/p2p.js");
          const channel = await p2p.SignalingChannel.connect(url, { reconnectInitialDelay: 100, reconnectMaxDelay: 300 });
          const events = [];
          channel.addEventListener("reconnecting", (e) => events.push("reconnecting"));
          channel.addEventListener("reconnected", () => events.push("reconnected"));
          channel.addEventListener("close", (e) => events.push("close: " + e.reason));
          channel.relayHandler = (relay) => "page:" + JSON.stringify(relay.data);
          window.__reconnect = { channel, events, p2p };
          const id = await channel.init();
          await channel.joinGroup(group);
          return id;
        }
        """;

    [Test]
    public async Task The_browser_client_resumes_after_its_network_drops()
    {
        await using var other = await RawSignalingClient.ConnectAsync(Server.WebSocketUri);
        var group = (await other.CallAsync("create", 15)).GetString()!;
        await using var proxy = new FaultyTcpProxy(Server.WebSocketUri);
        var context = await BrowserClientEnvironment.Chromium.NewContextAsync(Server.HttpUri);
        try
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(new Uri(Server.HttpUri, BrowserClientPage.DriverPath + "?reconnect").ToString());
            await page.WaitForFunctionAsync("() => window.t !== undefined", null, new PageWaitForFunctionOptions { Timeout = 10_000 });
            var id = await page.EvaluateAsync<string>(Setup, new { url = proxy.Uri.ToString(), group });

            proxy.Drop();
            await page.WaitForFunctionAsync("() => window.__reconnect.events.includes('reconnecting')", null, new PageWaitForFunctionOptions { Timeout = WaitMs });
            var code = await page.EvaluateAsync<int>("() => window.__reconnect.channel.getMembers('x').then(() => 0, (e) => e.code)");
            Assert.That(code, Is.EqualTo(-32023), "calls while reconnecting fail fast with Reconnecting");
            Assert.That(await page.EvaluateAsync<bool>("() => window.__reconnect.channel.isClosed"), Is.False);

            proxy.Restore();
            await page.WaitForFunctionAsync("() => window.__reconnect.events.includes('reconnected')", null, new PageWaitForFunctionOptions { Timeout = WaitMs });
            Assert.That(await page.EvaluateAsync<string>("() => window.__reconnect.channel.userId"), Is.EqualTo(id));
            var members = await page.EvaluateAsync<string[]>($"() => window.__reconnect.channel.getMembers('{group}')");
            Assert.That(members, Is.EqualTo(new[] { other.UserId, id }));

            var relay = other.CallAsync("relay", group, id, new { type = "ping" });
            Assert.That((await relay).GetString(), Is.EqualTo("page:{\"type\":\"ping\"}"));
            var events = await page.EvaluateAsync<string[]>("() => window.__reconnect.events");
            Assert.That(events, Is.EqualTo(new[] { "reconnecting", "reconnected" }));
            await page.EvaluateAsync("() => window.__reconnect.channel.close()");
        }
        finally
        {
            await context.CloseAsync();
        }
    }
}
