using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace P2p.Signaling.Server.Tests.Support;

/// <summary>
/// The server under test on 127.0.0.1 and a free port (<see cref="EmbeddedSignalingServer"/>).
/// Set P2P_TEST_LOG=1 to see its debug log on the console.
/// </summary>
internal static class TestServer
{
    public static Task<EmbeddedSignalingServer> StartAsync(
        Action<SignalingServerOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        string url = "http://127.0.0.1:0",
        string? resumeKey = null) =>
        EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions
        {
            Url = url,
            ResumeKey = resumeKey,
            Configure = configure,
            ConfigureServices = services,
            LoggerFactory = Environment.GetEnvironmentVariable("P2P_TEST_LOG") == "1"
                ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ").SetMinimumLevel(LogLevel.Debug))
                : null,
        });
}
