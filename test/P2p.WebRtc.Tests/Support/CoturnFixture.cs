using P2p.Testing.NatLab;

namespace P2p.WebRtc.Tests.Support;

/// <summary>
/// A test fixture with its own coturn on 127.0.0.1 (TCP and TLS too), started once for the fixture and stopped after it.
/// A missing <c>turnserver</c> fails the fixture with the package to install (./test.sh installs it).
/// </summary>
[NonParallelizable]
public abstract class CoturnFixture
{
    private CoturnProcess? _server;

    /// <summary>The running server.</summary>
    protected CoturnProcess Server => _server ?? throw new InvalidOperationException("coturn has not started.");

    [OneTimeSetUp]
    public async Task StartCoturn() => _server = await CoturnProcess.StartAsync(CoturnOptions.Loopback(streams: true));

    [OneTimeTearDown]
    public async Task StopCoturn()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
