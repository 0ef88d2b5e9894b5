using Microsoft.Playwright;
using P2p.Testing.Chromium;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>One signaling server and one Chromium for every fixture of this namespace (launching them is the slow part).</summary>
[SetUpFixture]
public sealed class BrowserClientEnvironment
{
    private static ChromiumBrowser? s_chromium;
    private static BrowserClientServer? s_server;
    private static IBrowserContext? s_context;

    internal static BrowserClientServer Server => s_server ?? throw new InvalidOperationException("The browser client environment is not set up.");

    /// <summary>A context whose pages on the server's origin gather 127.0.0.1 candidates.</summary>
    internal static IBrowserContext Context => s_context ?? throw new InvalidOperationException("The browser client environment is not set up.");

    internal static ChromiumBrowser Chromium => s_chromium ?? throw new InvalidOperationException("The browser client environment is not set up.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        s_server = await BrowserClientServer.StartAsync();
        s_chromium = await ChromiumBrowser.LaunchAsync();
        s_context = await s_chromium.NewContextAsync(s_server.HttpUri);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (s_chromium is not null)
        {
            await s_chromium.DisposeAsync();
        }

        if (s_server is not null)
        {
            await s_server.DisposeAsync();
        }

        (s_chromium, s_server, s_context) = (null, null, null);
    }
}
