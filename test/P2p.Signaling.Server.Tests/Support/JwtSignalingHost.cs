using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace P2p.Signaling.Server.Tests.Support;

/// <summary>
/// The signaling server hosted as docs/deploying.md "Access control" shows: an ASP.NET Core application with a
/// symmetric-key JwtBearer scheme (reading <c>access_token</c> from the query on the signaling path, for browsers)
/// and a policy on <c>MapP2pSignaling</c>, on 127.0.0.1 and a free port.
/// </summary>
internal sealed class JwtSignalingHost : IAsyncDisposable
{
    public const string Issuer = "p2p-tests";
    public const string Audience = "p2p-signaling";
    public const string Policy = "signaling";

    private readonly WebApplication _app;

    private readonly SymmetricSecurityKey _key;

    private JwtSignalingHost(WebApplication app, Uri uri, SymmetricSecurityKey key)
    {
        _app = app;
        Uri = uri;
        _key = key;
    }

    public Uri Uri { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="services">More services (e.g. an authorizer), added after <c>AddP2pSignaling</c>.</param>
    /// <param name="explicitMiddleware">Call <c>UseAuthentication</c>/<c>UseAuthorization</c> explicitly (otherwise WebApplication adds them).</param>
    public static async Task<JwtSignalingHost> StartAsync(Action<IServiceCollection>? services = null, bool explicitMiddleware = false)
    {
        var key = new SymmetricSecurityKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("P2P_TEST_LOG") == "1")
        {
            builder.Logging.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ").SetMinimumLevel(LogLevel.Debug);
        }

        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = Issuer,
                ValidAudience = Audience,
                IssuerSigningKey = key,
                ClockSkew = TimeSpan.Zero,
            };

            // Browsers cannot set headers on a WebSocket: take the token from the query, on the signaling path only.
            o.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    if (context.Request.Path == "/" && context.Request.Query["access_token"] is { Count: > 0 } token)
                    {
                        context.Token = token.ToString();
                    }

                    return Task.CompletedTask;
                },
            };
        });
        builder.Services.AddAuthorization(o => o.AddPolicy(Policy, p => p.RequireAuthenticatedUser()));
        builder.Services.AddP2pSignaling();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        if (explicitMiddleware)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        app.MapP2pSignaling("/").RequireAuthorization(Policy);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new JwtSignalingHost(app, new Uri(new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal)), "/"), key);
    }

    /// <summary>A token for <paramref name="subject"/> (a fresh random key per host), signed with this host's key unless <paramref name="key"/> is given.</summary>
    public string Token(string subject = "alice", TimeSpan? lifetime = null, SecurityKey? key = null, params Claim[] claims)
    {
        var now = DateTime.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromMinutes(5));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), .. claims]),
            IssuedAt = expires < now ? expires - TimeSpan.FromMinutes(2) : now,
            NotBefore = expires < now ? expires - TimeSpan.FromMinutes(2) : now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(key ?? _key, SecurityAlgorithms.HmacSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
