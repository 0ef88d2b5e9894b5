using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using P2p.Signaling.Server;
using P2p.Testing;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// p2p.js's <c>accessToken</c> option against a signaling endpoint that requires a JWT (JwtBearer reading the
/// <c>access_token</c> query parameter on the signaling path, as docs/deploying.md shows). The pages come from the
/// shared server's origin; the protected server listens on another port of 127.0.0.1 at <see cref="SecurePath"/>.
/// </summary>
[TestFixture]
[NonParallelizable]
public class BrowserClientAccessTokenTests : BrowserClientTestBase
{
    private const string SecurePath = "/secure";

    private readonly SymmetricSecurityKey _key = new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private EmbeddedSignalingServer _secured = null!;

    private Uri SecureUri => new(_secured.Uri, SecurePath);

    [OneTimeSetUp]
    public async Task StartSecuredServerAsync()
    {
        _secured = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions
        {
            Path = "/open", // the embedded server always maps one endpoint; this test uses the protected one
            ConfigureServices = services =>
            {
                services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
                {
                    o.TokenValidationParameters = new TokenValidationParameters
                    {
                        ValidIssuer = "p2p-tests",
                        ValidAudience = "p2p-signaling",
                        IssuerSigningKey = _key,
                    };
                    o.Events = new JwtBearerEvents
                    {
                        OnMessageReceived = context =>
                        {
                            if (context.Request.Path.StartsWithSegments(SecurePath) && context.Request.Query["access_token"] is { Count: > 0 } token)
                            {
                                context.Token = token.ToString();
                            }

                            return Task.CompletedTask;
                        },
                    };
                });
                services.AddAuthorization(o => o.AddPolicy("signaling", p => p.RequireAuthenticatedUser()));
            },
            ConfigureApplication = app => app.MapP2pSignaling(SecurePath).RequireAuthorization("signaling"),
        });
    }

    [OneTimeTearDown]
    public async Task StopSecuredServerAsync() => await _secured.DisposeAsync();

    private string Token() => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "p2p-tests",
        Audience = "p2p-signaling",
        Subject = new ClaimsIdentity([new Claim("sub", "browser")]),
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
    });

    [Test]
    public async Task The_browser_client_connects_to_a_protected_server_with_an_access_token_and_asks_for_it_again_on_reconnect()
    {
        var page = await OpenAsync(connect: false);
        await using var proxy = new FaultyTcpProxy(_secured.Uri);
        var token = Token();
        var id = await page.EvaluateAsync<string>(
            """
            async ({ url, token }) => {
              const p2p = await import("/p2p.js");
              const state = { calls: 0, events: [] };
              const channel = await p2p.SignalingChannel.connect(url, {
                reconnectInitialDelay: 100,
                reconnectMaxDelay: 300,
                accessToken: async () => { state.calls++; return token; },
              });
              channel.addEventListener("reconnected", () => state.events.push("reconnected"));
              window.__token = { channel, state };
              const id = await channel.init();
              await channel.createGroup(15);
              return id;
            }
            """,
            new { url = new Uri(proxy.Uri, SecurePath).ToString(), token });
        Assert.That(id, Does.Match("^[0-9a-f]{32}$"));
        Assert.That(await page.EvaluateAsync<int>("() => window.__token.state.calls"), Is.EqualTo(1));

        proxy.Drop();
        proxy.Restore();
        await page.EvaluateAsync<bool>(
            "(ms) => new Promise((resolve, reject) => { const t = setTimeout(() => reject(new Error('no reconnected event')), ms); const check = () => window.__token.state.events.includes('reconnected') ? (clearTimeout(t), resolve(true)) : setTimeout(check, 20); check(); })",
            WaitMs);
        Assert.That(await page.EvaluateAsync<int>("() => window.__token.state.calls"), Is.GreaterThanOrEqualTo(2), "asked again for the reconnection");
        Assert.That(await page.EvaluateAsync<string>("() => window.__token.channel.userId"), Is.EqualTo(id));
        await page.EvaluateAsync<bool>("() => { window.__token.channel.close(); return true; }");
        AssertNoPageErrors(page);
    }

    [Test]
    public async Task The_P2pService_passes_a_string_access_token_on()
    {
        var page = await OpenAsync(connect: false);
        var connected = await page.EvaluateAsync<bool>(
            """
            async ({ url, token }) => {
              const p2p = await import("/p2p.js");
              const service = await p2p.P2pService.connect(url, { accessToken: token });
              const ok = typeof (await service.signaling.init()) === "string";
              await service.close();
              return ok;
            }
            """,
            new { url = SecureUri.ToString(), token = Token() });
        Assert.That(connected, Is.True);
    }

    [Test]
    public async Task Without_an_access_token_the_browser_client_fails_with_a_clear_error()
    {
        var page = await OpenAsync(connect: false);
        var error = await page.EvaluateAsync<string>(
            """
            async (url) => {
              const p2p = await import("/p2p.js");
              try {
                await p2p.SignalingChannel.connect(url, { connectTimeout: 10000 });
                return "connected";
              } catch (e) {
                return `${e.code} ${e.message}`;
              }
            }
            """,
            SecureUri.ToString());
        Assert.That(error, Does.StartWith("-32020 "));
        Assert.That(error, Does.Contain("refused the WebSocket upgrade").And.Contain("no access token was sent"));
    }

    [Test]
    public async Task A_token_the_server_does_not_accept_fails_with_a_clear_error()
    {
        var page = await OpenAsync(connect: false);
        var error = await page.EvaluateAsync<string>(
            """
            async (url) => {
              const p2p = await import("/p2p.js");
              try {
                await p2p.SignalingChannel.connect(url, { accessToken: "not-a-jwt" });
                return "connected";
              } catch (e) {
                return e.message;
              }
            }
            """,
            SecureUri.ToString());
        Assert.That(error, Does.Contain("the access token was not accepted"));
        Assert.That(error, Does.Not.Contain("not-a-jwt"), "the token is never part of a message");
    }
}
