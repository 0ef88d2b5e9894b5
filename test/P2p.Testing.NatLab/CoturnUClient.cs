using System.Diagnostics;
using System.Globalization;

namespace P2p.Testing.NatLab;

/// <summary>coturn's own TURN client, <c>turnutils_uclient</c>, against a <see cref="CoturnProcess"/>: an independent check of credentials.</summary>
public static class CoturnUClient
{
    /// <summary>
    /// Runs <c>turnutils_uclient -y</c> (two clients relaying to each other through the server) over UDP with the given
    /// credentials: exit code 0 means the server accepted them, allocated and relayed; coturn refusing them makes it
    /// print "Cannot complete Allocation" and exit non-zero.
    /// </summary>
    /// <param name="server">The running server (in this process's network namespace).</param>
    /// <param name="username">The TURN user name.</param>
    /// <param name="password">The TURN password.</param>
    /// <param name="cancellationToken">Stops waiting and kills the client.</param>
    /// <returns>The exit code and everything the client printed.</returns>
    public static async Task<(int ExitCode, string Output)> RunUClientAsync(this CoturnProcess server, string username, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        var psi = new ProcessStartInfo(LabCommand.Require("turnutils_uclient", "coturn"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-u", username, "-w", password, "-y", "-p", server.EndPoint.Port.ToString(CultureInfo.InvariantCulture), "-n", "5", "-m", "1", "-l", "100", server.EndPoint.Address.ToString() })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("turnutils_uclient did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }
}
