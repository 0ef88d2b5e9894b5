using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace P2p.Signaling.Server;

/// <summary>
/// The standalone signaling server: what <c>dotnet run --project src/P2p.Signaling.Server</c> and the
/// <c>p2p-signaling</c> .NET tool run. It serves <c>ws://127.0.0.1:3001/</c> unless <c>--urls</c> says otherwise,
/// the browser client and its demo page at the same address, and health checks at <c>/healthz</c>.
/// </summary>
public static class SignalingServerHost
{
    /// <summary>The command-line help printed for <c>--help</c>, <c>-h</c> or <c>-?</c>.</summary>
    public const string Usage =
        """
        P2p signaling server: introduces the members of peer-to-peer groups (JSON-RPC 2.0 over WebSocket).

        Options:
          --urls http://HOST:PORT                     where to listen (default http://127.0.0.1:3001, ws://127.0.0.1:3001/)
          --redis HOST:PORT                           share groups with other instances through Redis
          --P2pSignaling:ServeBrowserClient false     do not serve the browser client and its demo page
          --P2pSignaling:RelayTimeout 00:00:10        any other SignalingServerOptions setting, by name
          --help, -h                                  print this help

        Endpoints: the WebSocket endpoint at /, the browser client at / (plain HTTP), health checks at /healthz.
        """;

    /// <summary>
    /// Runs the server until the process is asked to stop (Ctrl+C, SIGTERM). Configuration: command-line
    /// arguments, environment and <c>appsettings.json</c> in the working directory; the <c>P2pSignaling</c>
    /// section binds <see cref="SignalingServerOptions"/>.
    /// </summary>
    /// <param name="args">The command-line arguments.</param>
    /// <returns>The process exit code: 0 after a clean stop.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        var builder = WebApplication.CreateBuilder(args);
        // Defaults for hosts without this project's appsettings.json (the .NET tool runs in any directory).
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:StackExchange.Redis"] = "Warning",
            },
        });
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--redis"] = "P2pSignaling:Redis" });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(SignalingServerOptions.DefaultUrl);
        }

        builder.Services.AddP2pSignaling(options =>
        {
            options.ServeBrowserClient = true;
            builder.Configuration.GetSection("P2pSignaling").Bind(options);
        });

        var app = builder.Build();
        app.MapP2pSignaling("/");
        app.MapP2pSignalingHealthChecks("/healthz");
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }
}
