using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests.Diagnostics;

/// <summary>The "p2p-signaling" health check and the /healthz endpoint of the embedded and the runnable host.</summary>
public class HealthCheckTests
{
    private static Uri Healthz(EmbeddedSignalingServer server) => new(server.HttpUri, "/healthz");

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient http, Uri uri, CancellationToken ct)
    {
        using var response = await http.GetAsync(uri, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), text);
        return (response.StatusCode, JsonElement.Parse(text));
    }

    private static JsonElement SignalingCheck(JsonElement body) =>
        body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "p2p-signaling");

    [Test]
    [CancelAfter(20_000)]
    public async Task Healthz_answers_200_healthy_and_lists_the_signaling_check(CancellationToken ct)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawClient.ConnectAsync(server.Uri);
        using var http = new HttpClient();
        var (status, body) = await GetAsync(http, Healthz(server), ct);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(SignalingCheck(body).GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(SignalingCheck(body).GetProperty("description").GetString(), Is.EqualTo("Serving 1 connections."));
        });
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Healthz_is_not_taken_by_the_signaling_endpoint_when_the_browser_client_is_served(CancellationToken ct)
    {
        await using var server = await TestServer.StartAsync(o => o.ServeBrowserClient = true);
        using var http = new HttpClient();
        var (status, body) = await GetAsync(http, Healthz(server), ct);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
        });

        // The page is still served at "/" and the WebSocket endpoint still works.
        using var page = await http.GetAsync(server.HttpUri, ct);
        Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        await using var client = await RawClient.ConnectAsync(server.Uri);
        Assert.That(client.UserId, Does.Match("^[0-9a-f]{32}$"));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Every_registered_check_is_listed_and_an_unhealthy_one_makes_it_503(CancellationToken ct)
    {
        await using var server = await TestServer.StartAsync(services: s => s.AddHealthChecks()
            .AddCheck("redis", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("no connection")));
        using var http = new HttpClient();
        var (status, body) = await GetAsync(http, Healthz(server), ct);
        var redis = body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "redis");
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
            Assert.That(SignalingCheck(body).GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(redis.GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
            Assert.That(redis.GetProperty("description").GetString(), Is.EqualTo("no connection"));
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Healthz_answers_503_once_the_server_is_stopping(CancellationToken ct)
    {
        // A client that never reads holds the server's stop in its close timeout: the server is stopping but still listens.
        await using var server = await TestServer.StartAsync(o => o.CloseTimeout = TimeSpan.FromSeconds(5));
        using var silent = new ClientWebSocket();
        await silent.ConnectAsync(server.Uri, ct);
        var hub = server.Services.GetRequiredService<SignalingHub>();
        using var http = new HttpClient();
        Assert.That((await GetAsync(http, Healthz(server), ct)).Status, Is.EqualTo(HttpStatusCode.OK));

        // What the host's stopping signal does first.
        var closing = hub.CloseAllAsync(ct);
        var (status, body) = await GetAsync(http, Healthz(server), ct);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
            Assert.That(SignalingCheck(body).GetProperty("description").GetString(), Does.StartWith("Stopping"));
        });
        silent.Abort();
        await closing.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task The_runnable_host_serves_healthz_next_to_the_demo_page(CancellationToken ct)
    {
        await using var factory = new WebApplicationFactory<Program>();
        using var http = factory.CreateClient();
        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative), ct);
        var body = JsonElement.Parse(await response.Content.ReadAsStringAsync(ct));
        using var page = await http.GetAsync(new Uri("/", UriKind.Relative), ct);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(SignalingCheck(body).GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        });
    }
}
