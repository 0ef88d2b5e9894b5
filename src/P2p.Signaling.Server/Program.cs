// The runnable signaling server: `dotnet run --project src/P2p.Signaling.Server` serves
// ws://127.0.0.1:3001/ (the seed's endpoint); `--urls http://HOST:PORT` overrides it, and the
// "P2pSignaling" configuration section (appsettings.json, environment, command line) sets
// SignalingServerOptions, e.g. `--P2pSignaling:RelayTimeout 00:00:10`. It also serves the browser
// client and its demo page at http://127.0.0.1:3001/ (`--P2pSignaling:ServeBrowserClient false` turns that off),
// and its health checks at http://127.0.0.1:3001/healthz (200 while serving, 503 once stopping).
// `--redis HOST:PORT` (or P2pSignaling:Redis) makes it one instance of several sharing groups through Redis.
// The same host is the `p2p-signaling` .NET tool (src/P2p.Signaling.Server.Tool); `--help` lists the options.
return await P2p.Signaling.Server.SignalingServerHost.RunAsync(args);

// Not public API: this package is a library first (and the tool has no API at all).
internal sealed partial class Program;
