// A long-lived P2p member hosted as a background service (Generic Host + dependency injection).
// Run: dotnet run --project samples/P2p.Worker -- --P2p:SignalingUri ws://127.0.0.1:3001/ [--Group GROUP_ID]
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using P2p.Hosting;
using P2p.Worker;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddP2p(o => o.SignalingUri = builder.Configuration["P2p:SignalingUri"] is { } uri ? new Uri(uri) : null);
builder.Services.AddSingleton<GroupMemberWorker>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<GroupMemberWorker>());
await builder.Build().RunAsync();
