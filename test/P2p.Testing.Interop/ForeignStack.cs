namespace P2p.Testing.Interop;

/// <summary>
/// A foreign WebRTC stack of the interop matrix and how to start its peer program
/// (test/interop-peers/, installed by test/interop-peers/install.sh).
/// </summary>
/// <param name="Name">The stack's name, as its report's <c>stack</c>.</param>
/// <param name="Executable">The program to run (an absolute path, or a name on PATH).</param>
/// <param name="Arguments">Its arguments before <c>--role</c>; paths relative to the repository root.</param>
/// <param name="ExpectedTransport">What the stack's peer needs that loopback alone does not give (for failure messages), or null.</param>
public sealed record ForeignStack(string Name, string Executable, IReadOnlyList<string> Arguments, string? ExpectedTransport = null)
{
    /// <summary>Headless Chromium (Debian's chromium) driven by puppeteer-core.</summary>
    public static ForeignStack Chromium { get; } = new("chromium", "node", ["test/interop-peers/js/browser-peer.js", "--browser", "chromium"]);

    /// <summary>Headless Firefox ESR (Debian's firefox-esr) driven by puppeteer-core over WebDriver BiDi.</summary>
    public static ForeignStack Firefox { get; } = new("firefox", "node", ["test/interop-peers/js/browser-peer.js", "--browser", "firefox"]);

    /// <summary>pion/webrtc v3 (Go, Debian's golang-github-pion-webrtc.v3-dev), built by test/interop-peers/pion/build.sh.</summary>
    public static ForeignStack Pion { get; } = new("pion", "test/interop-peers/pion/bin/pion-peer", []);

    /// <summary>werift (TypeScript, npm).</summary>
    public static ForeignStack Werift { get; } = new("werift", "node", ["test/interop-peers/js/werift-peer.js"]);

    /// <summary>aiortc (Python, Debian's python3-aiortc 1.4: the legacy data channel SDP).</summary>
    public static ForeignStack Aiortc { get; } = new("aiortc", "/usr/bin/python3", ["test/interop-peers/aiortc/peer.py"]);

    /// <summary>libdatachannel (C++, npm node-datachannel with its native binding).</summary>
    public static ForeignStack LibDataChannel { get; } = new("libdatachannel", "node", ["test/interop-peers/js/datachannel-peer.js"]);

    /// <summary>The six stacks of the matrix.</summary>
    public static IReadOnlyList<ForeignStack> All { get; } = [Chromium, Firefox, Pion, Werift, Aiortc, LibDataChannel];

    /// <summary>The stack with this name.</summary>
    public static ForeignStack Get(string name) =>
        All.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"Unknown stack '{name}': one of {string.Join(", ", All.Select(s => s.Name))}.", nameof(name));

    /// <inheritdoc/>
    public override string ToString() => Name;
}
