using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using P2p.Core;
using P2p.Hosting;
using P2p.Signaling.Server;

namespace P2p.Transport.WebRtc.Tests.Hosting;

/// <summary><c>services.AddP2p(...)</c> in a Generic Host worker and in an ASP.NET Core application, with the real signaling server.</summary>
[TestFixture]
[CancelAfter(60_000)]
public class AddP2pTests
{
    [Test]
    public async Task A_worker_host_and_an_AspNetCore_app_each_host_a_member_and_talk(CancellationToken ct)
    {
        await using var server = await EmbeddedSignalingServer.StartAsync(cancellationToken: ct);
        var workerBuilder = Host.CreateApplicationBuilder();
        workerBuilder.Services.AddP2p(o => Configure(o, server.Uri));
        using var worker = workerBuilder.Build();
        await worker.StartAsync(ct);
        var webBuilder = WebApplication.CreateSlimBuilder();
        webBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        webBuilder.Services.AddP2p(o => Configure(o, server.Uri));
        await using var web = webBuilder.Build();
        await web.StartAsync(ct);

        var workerService = await worker.Services.GetRequiredService<P2pClient>().GetServiceAsync(ct);
        Assert.That(await worker.Services.GetRequiredService<P2pClient>().GetServiceAsync(ct), Is.SameAs(workerService), "one service per application");
        var group = await workerService.CreateGroupAsync(GroupCapability.All, new GroupOptions
        {
            RequestHandler = (_, data, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("worker got " + Encoding.UTF8.GetString(data.Span))),
        }, ct);
        var webService = await web.Services.GetRequiredService<P2pClient>().GetServiceAsync(ct);
        var joined = await webService.JoinGroupAsync(group.Id, cancellationToken: ct);
        await joined.WhenAllConnectedAsync(ct);

        var reply = await joined.UnicastAsync(group.LocalMember.Id, "hello"u8.ToArray(), ct);

        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("worker got hello"));
        await web.StopAsync(ct);
        await worker.StopAsync(ct);
        await ((IAsyncDisposable)worker.Services).DisposeAsync(); // disposes the client: leaves its groups
        Assert.That(group.IsClosed, Is.True);
    }

    [Test]
    public void Invalid_settings_stop_the_host_at_start_naming_every_problem()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddP2p(o =>
        {
            o.SignalingUri = new Uri("http://127.0.0.1:3001/");
            o.Service.ConnectTimeout = TimeSpan.Zero;
        });
        using var host = builder.Build();

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Has.Some.Contains("ws:// or wss://"));
        Assert.That(error.Failures, Has.Some.Contains("ConnectTimeout"));
    }

    [Test]
    public void A_missing_signaling_address_stops_the_host_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddP2p(_ => { });
        using var host = builder.Build();

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain("SignalingUri is required"));
    }

    private static void Configure(P2pClientOptions o, Uri signaling)
    {
        o.SignalingUri = signaling;
        o.Transport = new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback) };
    }
}
