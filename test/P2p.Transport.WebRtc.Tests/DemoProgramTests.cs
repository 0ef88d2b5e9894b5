using System.Diagnostics;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>The README's run command: samples/P2p.Demo forms a real WebRTC mesh and exits 0.</summary>
[TestFixture]
public class DemoProgramTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task The_demo_forms_a_mesh_of_three_members_and_exits_zero(CancellationToken ct)
    {
        var (exitCode, output, errors) = await RunDemoAsync(["--members", "3", "--messages", "5", "--timeout", "60"], ct);
        Assert.That(exitCode, Is.Zero, errors);
        Assert.That(output, Does.Contain("Full mesh: 3 WebRTC links formed"));
        Assert.That(output, Does.Contain("0 corrupt or duplicated"));
        Assert.That(output, Does.EndWith("OK" + Environment.NewLine));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Bad_options_exit_with_two_and_say_why(CancellationToken ct)
    {
        var (exitCode, _, errors) = await RunDemoAsync(["--members", "zero"], ct);
        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(errors, Does.Contain("--members must be a whole number"));
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunDemoAsync(string[] args, CancellationToken ct)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "P2p.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("P2p.sln not found above the test assembly.");
        }

        var demo = Path.Combine(root, "samples", "P2p.Demo", "bin", "Release", "net10.0", "P2p.Demo.dll");
        Assert.That(File.Exists(demo), Is.True, $"{demo} is built by 'dotnet build P2p.sln -c Release'");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(demo);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var errors = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return (process.ExitCode, await output, await errors);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
