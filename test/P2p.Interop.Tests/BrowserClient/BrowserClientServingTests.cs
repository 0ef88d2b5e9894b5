using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>The signaling server serves the browser client and its demo page from the WebSocket endpoint's own origin and path.</summary>
[TestFixture]
public class BrowserClientServingTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false });

    [Test]
    public async Task The_endpoint_serves_the_demo_page_and_the_module_and_still_speaks_WebSocket()
    {
        await using var server = await BrowserClientServer.StartAsync();

        using var page = await Http.GetAsync(server.HttpUri);
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/html"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("<script type=\"module\" src=\"./demo.js\"></script>"));
        Assert.That(html, Does.Not.Contain("http://").And.Not.Contain("https://"), "no external resources");
        Assert.That(page.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("connect-src 'self'"));

        using var module = await Http.GetAsync(new Uri(server.HttpUri, "p2p.js"));
        Assert.That(module.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(module.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/javascript"));
        Assert.That(await module.Content.ReadAsStringAsync(), Does.Contain("export { P2pService } from \"./p2p/service.js\""));

        // The modules the entry re-exports, under p2p/; not the package's tooling.
        foreach (var file in new[] { "p2p/service.js", "p2p/framing.js", "p2p/signaling.js", "p2p/routing.js" })
        {
            using var response = await Http.GetAsync(new Uri(server.HttpUri, file));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), file);
            Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/javascript"), file);
            Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith("// @ts-check"), file);
        }

        foreach (var file in new[] { "package.json", "tsconfig.json", "types/p2p.d.ts" })
        {
            using var response = await Http.GetAsync(new Uri(server.HttpUri, file));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), file);
        }

        foreach (var (file, type) in new[] { ("demo.js", "text/javascript"), ("demo.css", "text/css"), ("index.html", "text/html") })
        {
            using var response = await Http.GetAsync(new Uri(server.HttpUri, file));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), file);
            Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo(type), file);
        }

        // Revalidation: the ETag answers 304 without a body; HEAD has the headers only.
        using var conditional = new HttpRequestMessage(HttpMethod.Get, new Uri(server.HttpUri, "p2p.js"));
        conditional.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(module.Headers.ETag!.ToString()));
        using var notModified = await Http.SendAsync(conditional);
        Assert.That(notModified.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        using var head = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(server.HttpUri, "p2p.js")));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(head.Content.Headers.ContentLength, Is.EqualTo(module.Content.Headers.ContentLength));

        // Other methods still get the signaling endpoint's 426; unknown files are 404.
        using var post = await Http.PostAsync(server.HttpUri, new StringContent("{}"));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.UpgradeRequired));
        using var missing = await Http.GetAsync(new Uri(server.HttpUri, "nope.js"));
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        Assert.That(await InitOverWebSocketAsync(server.WebSocketUri), Does.Match("^[0-9a-f]{32}$"));
    }

    [Test]
    public async Task Under_another_path_the_files_live_under_it_and_the_path_redirects_to_its_slash_form()
    {
        await using var server = await BrowserClientServer.StartAsync("/signaling");
        var withoutSlash = server.HttpUri.ToString().TrimEnd('/');

        using var redirect = await Http.GetAsync(new Uri(withoutSlash));
        Assert.That(redirect.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(redirect.Headers.Location!.ToString(), Is.EqualTo("/signaling/"));

        using var page = await Http.GetAsync(new Uri(withoutSlash + "/"));
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("./p2p.js"));
        using var module = await Http.GetAsync(new Uri(withoutSlash + "/p2p.js"));
        Assert.That(module.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var submodule = await Http.GetAsync(new Uri(withoutSlash + "/p2p/group.js"));
        Assert.That(submodule.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var atRoot = await Http.GetAsync(new Uri(server.HttpUri, "/p2p.js"));
        Assert.That(atRoot.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        // The page's relative endpoint (its directory) is the WebSocket endpoint.
        Assert.That(await InitOverWebSocketAsync(new Uri(withoutSlash.Replace("http://", "ws://", StringComparison.Ordinal) + "/")), Does.Match("^[0-9a-f]{32}$"));
    }

    [Test]
    public async Task Without_the_option_the_endpoint_serves_nothing_but_WebSocket()
    {
        await using var server = await BrowserClientServer.StartAsync(serveBrowserClient: false);
        using var page = await Http.GetAsync(server.HttpUri);
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.UpgradeRequired));
        using var module = await Http.GetAsync(new Uri(server.HttpUri, "p2p.js"));
        Assert.That(module.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    private static async Task<string> InitOverWebSocketAsync(Uri uri)
    {
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(uri, timeout.Token);
        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"init","params":[]}"""), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[4096];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        using var answer = System.Text.Json.JsonDocument.Parse(buffer.AsMemory(0, received.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        return answer.RootElement.GetProperty("result").GetString()!;
    }
}
