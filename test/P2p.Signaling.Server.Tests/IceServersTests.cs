using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using P2p.Signaling.Server.IceServers;
using P2p.Signaling.Server.Tests.Support;
using P2p.Testing;

namespace P2p.Signaling.Server.Tests;

/// <summary><c>get_ice_servers</c>: static servers, TURN REST credentials (coturn's use-auth-secret), errors, configuration.</summary>
public class IceServersTests
{
    private const string Secret = "correct horse battery staple";

    [Test]
    public async Task Without_configuration_the_result_is_an_empty_array()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawClient.ConnectAsync(server.Uri);
        var response = await client.CallAsync("get_ice_servers", "[]");
        Assert.That(response.GetProperty("result").GetRawText(), Is.EqualTo("[]"));
    }

    [Test]
    public async Task Params_may_be_omitted()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawClient.ConnectAsync(server.Uri);
        var response = await client.SendAndReceiveAsync("{\"jsonrpc\":\"2.0\",\"id\":70,\"method\":\"get_ice_servers\"}");
        Assert.That(response.GetProperty("result").ValueKind, Is.EqualTo(JsonValueKind.Array));
    }

    [Test]
    public async Task Static_servers_are_returned_as_configured_in_the_browser_shape()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.IceServers.Add(new IceServerOptions { Urls = ["stun:198.51.100.1:3478"] });
            o.IceServers.Add(new IceServerOptions { Urls = ["turn:198.51.100.2?transport=tcp", "turns:198.51.100.2:5349"], Username = "u", Credential = "p" });
        });
        await using var client = await RawClient.ConnectAsync(server.Uri);
        var result = (await client.CallAsync("get_ice_servers", "[]")).GetProperty("result");
        Assert.That(result.GetRawText(), Is.EqualTo(
            "[{\"urls\":[\"stun:198.51.100.1:3478\"]},{\"urls\":[\"turn:198.51.100.2?transport=tcp\",\"turns:198.51.100.2:5349\"],\"username\":\"u\",\"credential\":\"p\"}]"));
    }

    [Test]
    public async Task Turn_rest_credentials_are_expiry_colon_member_id_and_base64_hmac_sha1_of_it()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.IceServers.Add(new IceServerOptions { Urls = ["stun:198.51.100.1:3478"] });
            o.TurnRest.Urls = ["turn:198.51.100.1:3478?transport=udp", "turns:198.51.100.1:5349"];
            o.TurnRest.Secret = Secret;
            o.TurnRest.CredentialLifetime = TimeSpan.FromHours(2);
        });
        await using var client = await RawClient.ConnectAsync(server.Uri);
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var result = (await client.CallAsync("get_ice_servers", "[]")).GetProperty("result");
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.That(result.GetArrayLength(), Is.EqualTo(2), "the static server, then the TURN REST one");
        var turn = result[1];
        Assert.That(turn.GetProperty("urls").EnumerateArray().Select(u => u.GetString()), Is.EqualTo(new[] { "turn:198.51.100.1:3478?transport=udp", "turns:198.51.100.1:5349" }));
        var username = turn.GetProperty("username").GetString()!;
        var parts = username.Split(':');
        Assert.That(parts, Has.Length.EqualTo(2));
        Assert.That(parts[1], Is.EqualTo(client.UserId), "the user id is the caller's member id");
        var expiry = long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(expiry, Is.InRange(before + 7200, after + 7201), "expiry = now + lifetime, in Unix seconds");
        Assert.That(turn.GetProperty("credential").GetString(), Is.EqualTo(ExpectedCredential(Secret, username)));
    }

    [Test]
    public async Task Each_member_gets_its_own_credentials()
    {
        await using var server = await TestServer.StartAsync(TurnRest());
        await using var a = await RawClient.ConnectAsync(server.Uri);
        await using var b = await RawClient.ConnectAsync(server.Uri);
        var ua = (await a.CallAsync("get_ice_servers", "[]")).GetProperty("result")[0].GetProperty("username").GetString();
        var ub = (await b.CallAsync("get_ice_servers", "[]")).GetProperty("result")[0].GetProperty("username").GetString();
        Assert.That(ua, Does.EndWith(":" + a.UserId));
        Assert.That(ub, Does.EndWith(":" + b.UserId));
    }

    [TestCase("p2p", "p2p")]
    [TestCase("app1-{memberId}", "app1-MEMBER")]
    [TestCase("", "")]
    public async Task The_user_id_part_can_be_fixed_or_prefixed(string template, string expected)
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            TurnRest()(o);
            o.TurnRest.UserId = template;
        });
        await using var client = await RawClient.ConnectAsync(server.Uri);
        var turn = (await client.CallAsync("get_ice_servers", "[]")).GetProperty("result")[0];
        var username = turn.GetProperty("username").GetString()!;
        var userPart = username.Contains(':', StringComparison.Ordinal) ? username[(username.IndexOf(':', StringComparison.Ordinal) + 1)..] : "";
        Assert.That(userPart, Is.EqualTo(expected.Replace("MEMBER", client.UserId, StringComparison.Ordinal)));
        Assert.That(username, Does.Match(expected.Length == 0 ? "^[0-9]+$" : "^[0-9]+:"));
        Assert.That(turn.GetProperty("credential").GetString(), Is.EqualTo(ExpectedCredential(Secret, username)));
    }

    [Test]
    public async Task A_custom_separator_is_used()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            TurnRest()(o);
            o.TurnRest.Separator = "-";
        });
        await using var client = await RawClient.ConnectAsync(server.Uri);
        var username = (await client.CallAsync("get_ice_servers", "[]")).GetProperty("result")[0].GetProperty("username").GetString();
        Assert.That(username, Does.Match("^[0-9]+-" + client.UserId + "$"));
    }

    [Test]
    public async Task The_secret_can_come_from_a_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "  " + Secret + "\n");
            await using var server = await TestServer.StartAsync(o =>
            {
                o.TurnRest.Urls = ["turn:127.0.0.1:3478"];
                o.TurnRest.SecretFile = file;
            });
            await using var client = await RawClient.ConnectAsync(server.Uri);
            var turn = (await client.CallAsync("get_ice_servers", "[]")).GetProperty("result")[0];
            Assert.That(turn.GetProperty("credential").GetString(), Is.EqualTo(ExpectedCredential(Secret, turn.GetProperty("username").GetString()!)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task The_dotnet_client_gets_them_with_GetIceServersAsync()
    {
        await using var server = await TestServer.StartAsync(TurnRest());
        await using var channel = await WebSockets.WebSocketSignalingChannel.ConnectAsync(server.Uri);
        var me = await channel.InitAsync();
        var servers = await channel.GetIceServersAsync();
        var turn = servers.Single();
        Assert.That(turn.Urls, Is.EqualTo(new[] { "turn:127.0.0.1:3478?transport=udp" }));
        Assert.That(turn.Username, Does.EndWith(":" + me));
        Assert.That(turn.TryGetTurnRestExpiry(), Is.EqualTo(DateTimeOffset.UtcNow + TurnRestOptions.DefaultCredentialLifetime).Within(TimeSpan.FromSeconds(30)));
        Assert.That(turn.Credential, Is.EqualTo(ExpectedCredential(Secret, turn.Username!)));
    }

    [Test]
    public async Task Before_init_it_is_refused_like_every_other_method()
    {
        await using var server = await TestServer.StartAsync(TurnRest());
        await using var client = await RawClient.ConnectAsync(server.Uri, init: false);
        Assert.That(await client.ErrorCodeAsync("get_ice_servers", "[]"), Is.EqualTo(-32001));
    }

    [Test]
    public async Task Parameters_are_refused()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawClient.ConnectAsync(server.Uri);
        Assert.That(await client.ErrorCodeAsync("get_ice_servers", "[\"x\"]"), Is.EqualTo(-32602));
    }

    [Test]
    public async Task Neither_the_secret_nor_a_credential_is_ever_logged()
    {
        var log = new TestLog(LogLevel.Trace);
        await using var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions
        {
            Configure = o =>
            {
                TurnRest()(o);
                o.IceServers.Add(new IceServerOptions { Urls = ["turn:198.51.100.9"], Username = "static-user", Credential = "static-password" });
            },
            LoggerFactory = log,
        });
        await using var client = await RawClient.ConnectAsync(server.Uri);
        var result = (await client.CallAsync("get_ice_servers", "[]")).GetProperty("result");
        await client.CallAsync("get_ice_servers", "[1]");
        var credential = result[1].GetProperty("credential").GetString()!;

        var text = log.ToString();
        Assert.That(log.Entries.Any(e => e.Message.Contains("issued 2 ICE server", StringComparison.Ordinal)), Is.True, "the call itself is logged:\n" + text);
        Assert.That(text, Does.Not.Contain(Secret));
        Assert.That(text, Does.Not.Contain(credential));
        Assert.That(text, Does.Not.Contain("static-password"));
    }

    [Test]
    public void The_credential_matches_a_reference_computed_with_openssl()
    {
        // echo -n "1700000000:alice" | openssl dgst -sha1 -hmac s3cret -binary | base64
        Assert.That(TurnRestCredentials.Credential(Encoding.UTF8.GetBytes("s3cret"), TurnRestCredentials.Username(1700000000, "alice", ":")), Is.EqualTo("TtElzSjT0GdnTQ9xdcRNxx96yQs="));

        // echo -n "1700000000" | openssl dgst -sha1 -hmac "pässwörd" -binary | base64 (UTF-8 secret, no user id)
        Assert.That(TurnRestCredentials.Credential(Encoding.UTF8.GetBytes("pässwörd"), TurnRestCredentials.Username(1700000000, "", ":")), Is.EqualTo("6FQqXH0iVDsQunM3CsnUmhoqiko="));
    }

    [TestCase("stun://198.51.100.1", "without '//'")]
    [TestCase("http://198.51.100.1", "scheme")]
    [TestCase("stun:198.51.100.1:99999", "port")]
    [TestCase("stun:198.51.100.1?transport=udp", "no query")]
    [TestCase("turn:198.51.100.1?transport=sctp", "transport=udp")]
    [TestCase("stun:", "host")]
    public void A_malformed_url_fails_the_start_with_the_key_and_the_reason(string url, string reason)
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await TestServer.StartAsync(o => o.IceServers.Add(new IceServerOptions { Urls = [url], Username = "u", Credential = "p" })));
        Assert.That(ex!.Message, Does.Contain("P2pSignaling:IceServers:0:Urls:0").And.Contain(reason));
    }

    [Test]
    public void A_static_turn_server_without_credentials_fails_the_start()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await TestServer.StartAsync(o => o.IceServers.Add(new IceServerOptions { Urls = ["turn:198.51.100.1"] })));
        Assert.That(ex!.Message, Does.Contain("Username and a Credential"));
    }

    [Test]
    public void Turn_rest_urls_without_a_secret_fail_the_start()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await TestServer.StartAsync(o => o.TurnRest.Urls = ["turn:198.51.100.1"]));
        Assert.That(ex!.Message, Does.Contain("Secret"));
    }

    [Test]
    public void A_turn_rest_secret_without_urls_fails_the_start()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await TestServer.StartAsync(o => o.TurnRest.Secret = Secret));
        Assert.That(ex!.Message, Does.Contain("P2pSignaling:TurnRest:Urls"));
        Assert.That(ex.Message, Does.Not.Contain(Secret));
    }

    [Test]
    public void A_stun_url_for_turn_rest_fails_the_start()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await TestServer.StartAsync(o =>
        {
            TurnRest()(o);
            o.TurnRest.Urls.Add("stun:198.51.100.1");
        }));
        Assert.That(ex!.Message, Does.Contain("not a turn: or turns: URL"));
    }

    [Test]
    public void A_lifetime_under_a_minute_fails_the_start()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await TestServer.StartAsync(o =>
        {
            TurnRest()(o);
            o.TurnRest.CredentialLifetime = TimeSpan.FromSeconds(5);
        }));
        Assert.That(ex!.Message, Does.Contain("CredentialLifetime"));
    }

    [Test]
    public void Both_a_secret_and_a_secret_file_fail_the_start()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await TestServer.StartAsync(o =>
        {
            TurnRest()(o);
            o.TurnRest.SecretFile = "/nonexistent";
        }));
        Assert.That(ex!.Message, Does.Contain("not both"));
    }

    [Test]
    public void A_missing_secret_file_fails_the_start()
    {
        var ex = Assert.ThrowsAsync<InvalidOperationException>(async () => await TestServer.StartAsync(o =>
        {
            o.TurnRest.Urls = ["turn:198.51.100.1"];
            o.TurnRest.SecretFile = "/nonexistent/secret";
        }));
        Assert.That(ex!.Message, Does.Contain("/nonexistent/secret"));
    }

    [Test]
    public void The_command_line_host_binds_the_settings_from_its_arguments()
    {
        // The same binding as Program.cs: the "P2pSignaling" section of the host's configuration.
        var configuration = new ConfigurationBuilder().AddCommandLine(
        [
            "--P2pSignaling:IceServers:0:Urls:0", "stun:198.51.100.1:3478",
            "--P2pSignaling:TurnRest:Urls:0", "turn:198.51.100.1:3478?transport=udp",
            "--P2pSignaling:TurnRest:Urls:1", "turns:198.51.100.1:5349",
            "--P2pSignaling:TurnRest:SecretFile", "/run/secrets/turn",
            "--P2pSignaling:TurnRest:CredentialLifetime", "12:00:00",
            "--P2pSignaling:TurnRest:UserId", "app1-{memberId}",
        ]).Build();
        var options = new SignalingServerOptions();
        configuration.GetSection("P2pSignaling").Bind(options);
        Assert.That(options.IceServers.Single().Urls, Is.EqualTo(new[] { "stun:198.51.100.1:3478" }));
        Assert.That(options.TurnRest.Urls, Is.EqualTo(new[] { "turn:198.51.100.1:3478?transport=udp", "turns:198.51.100.1:5349" }));
        Assert.That(options.TurnRest.SecretFile, Is.EqualTo("/run/secrets/turn"));
        Assert.That(options.TurnRest.CredentialLifetime, Is.EqualTo(TimeSpan.FromHours(12)));
        Assert.That(options.TurnRest.UserId, Is.EqualTo("app1-{memberId}"));
    }

    private static Action<SignalingServerOptions> TurnRest() => o =>
    {
        o.TurnRest.Urls = ["turn:127.0.0.1:3478?transport=udp"];
        o.TurnRest.Secret = Secret;
    };

    /// <summary>The TURN REST credential, computed here independently of the server's code.</summary>
    private static string ExpectedCredential(string secret, string username)
    {
#pragma warning disable CA5350 // the TURN REST scheme is HMAC-SHA1
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(secret));
#pragma warning restore CA5350
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(username)));
    }
}
