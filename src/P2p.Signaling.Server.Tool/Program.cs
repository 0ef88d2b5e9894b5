// `p2p-signaling`: the same host as `dotnet run --project src/P2p.Signaling.Server` (`--help` lists the options).
return await P2p.Signaling.Server.SignalingServerHost.RunAsync(args);

// Not public API: this package is a library first (and the tool has no API at all).
internal sealed partial class Program;
