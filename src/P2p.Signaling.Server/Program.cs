// The runnable signaling server: `dotnet run --project src/P2p.Signaling.Server` serves
// ws://127.0.0.1:3001/ (the seed's endpoint); `--urls http://HOST:PORT` overrides it, and the
// "P2pSignaling" configuration section (appsettings.json, environment, command line) sets
// SignalingServerOptions, e.g. `--P2pSignaling:RelayTimeout 00:00:10`. It also serves the browser
// client and its demo page at http://127.0.0.1:3001/ (`--P2pSignaling:ServeBrowserClient false` turns that off).
// `--redis HOST:PORT` (or P2pSignaling:Redis) makes it one instance of several sharing groups through Redis.
using P2p.Signaling.Server;

var builder = WebApplication.CreateBuilder(args);
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
await app.RunAsync();
