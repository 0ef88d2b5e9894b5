using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests;

public class HostingTests
{
    [Test]
    public async Task A_plain_http_request_gets_upgrade_required()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(server.Uri.ToString().Replace("ws://", "http://", StringComparison.Ordinal)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UpgradeRequired));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("WebSocket"));
    }

    [Test]
    public void Mapping_without_adding_the_services_explains()
    {
        var app = WebApplication.CreateSlimBuilder().Build();
        var ex = Assert.Throws<InvalidOperationException>(() => app.MapP2pSignaling());
        Assert.That(ex!.Message, Does.Contain("AddP2pSignaling"));
    }

    [Test]
    public void Invalid_options_are_rejected_at_start()
    {
        Assert.That(async () => await TestServer.StartAsync(o => o.MaxMessageSize = 10), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task The_endpoint_can_live_under_any_path()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrlsForTests();
        builder.Services.AddP2pSignaling();
        await using var app = builder.Build();
        app.MapP2pSignaling("/signaling");
        await app.StartAsync();
        var uri = new Uri(app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal) + "/signaling");
        await using var client = await RawClient.ConnectAsync(uri);
        Assert.That(client.UserId, Does.Match("^[0-9a-f]{32}$"));
        await app.StopAsync();
    }
}

internal static class WebHostTestExtensions
{
    public static void UseUrlsForTests(this Microsoft.AspNetCore.Hosting.IWebHostBuilder builder) =>
        Microsoft.AspNetCore.Hosting.HostingAbstractionsWebHostBuilderExtensions.UseUrls(builder, "http://127.0.0.1:0");
}
