using System.Text.Json;
using P2p.Testing.Interop;
using P2p.Testing.NatLab;
using P2p.WebRtc;

namespace P2p.NatLab.Tests;

/// <summary>
/// A headless browser (Chromium or Firefox ESR) as a lab host: the interop peer program
/// (test/interop-peers/js/browser-peer.js, PROTOCOL.md) started with <c>ip netns exec HOST</c>, so the browser and
/// its network process see only the host's interface and reach the others through its router. The lab's coturn
/// goes to its <c>RTCPeerConnection</c> as browser-shaped <c>iceServers</c> (<c>P2P_BROWSER_ICE_SERVERS</c>).
/// </summary>
internal static class LabBrowser
{
    /// <summary>The browser peer of <paramref name="stack"/> inside <paramref name="host"/> with <paramref name="servers"/>.</summary>
    /// <param name="stack"><see cref="ForeignStack.Chromium"/> or <see cref="ForeignStack.Firefox"/>.</param>
    /// <param name="host">The lab host it runs in.</param>
    /// <param name="servers">Its ICE servers (the lab's coturn only).</param>
    /// <returns>A stack to start with <see cref="ForeignPeerProcess.Start"/>.</returns>
    /// <exception cref="InvalidOperationException">The browser, Node.js or the peer's npm packages are missing (the message says how to install them).</exception>
    public static ForeignStack In(ForeignStack stack, LabHost host, IReadOnlyList<RtcIceServer> servers)
    {
        Require(stack);
        var iceServers = JsonSerializer.Serialize(servers.Select(s => new { urls = s.Urls, username = s.Username, credential = s.Credential }));
        return stack with
        {
            Executable = LabTools.Ip,
            Arguments = host.Namespace.ExecArguments("env", ["P2P_BROWSER_ICE_SERVERS=" + iceServers, LabCommand.Require("node", "nodejs"), .. stack.Arguments]),
        };
    }

    /// <summary>The browsers of the lab's browser cases.</summary>
    public static IEnumerable<string> Names => ["chromium", "firefox"];

    private static void Require(ForeignStack stack)
    {
        _ = stack.Name switch
        {
            "chromium" => LabCommand.Require("chromium", "chromium"),
            "firefox" => LabCommand.Require("firefox-esr", "firefox-esr"),
            _ => throw new ArgumentException($"{stack.Name} is not a browser", nameof(stack)),
        };
        var puppeteer = Path.Combine(RepositoryRoot.Path, "test", "interop-peers", "js", "node_modules", "puppeteer-core");
        if (!Directory.Exists(puppeteer))
        {
            throw new InvalidOperationException(
                $"The browser peer needs its npm packages ({puppeteer} is missing): bash test/interop-peers/js/install.sh (./test.sh runs it).");
        }
    }
}
