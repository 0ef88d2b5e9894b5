using System.Diagnostics;
using System.Globalization;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Runs bench/P2p.ColdStart (the first connection of a fresh process, then the warm median) as built, on the JIT, and
/// published with native AOT into artifacts/coldstart-aot (published once per run of the report: about a minute).
/// </summary>
internal static class ColdStart
{
    /// <summary>One fresh process's first connection and its warm median (ms), on the JIT.</summary>
    public static Task<(double First, double Warm)> RunJitAsync(int warm) =>
        RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "P2p.ColdStart.dll"), "--warm", warm.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>The same, compiled ahead of time (<paramref name="binary"/> from <see cref="PublishAotAsync"/>).</summary>
    public static Task<(double First, double Warm)> RunAotAsync(string binary, int warm) =>
        RunAsync(binary, ["--warm", warm.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Publishes bench/P2p.ColdStart with native AOT and returns the executable's path.</summary>
    public static async Task<string> PublishAotAsync()
    {
        var root = RepositoryRoot();
        var output = Path.Combine(root, "artifacts", "coldstart-aot");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "publish", Path.Combine(root, "bench", "P2p.ColdStart"), "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output, "-nologo", "-v:q" })
        {
            info.ArgumentList.Add(a);
        }

        var log = await RunToEndAsync(info, TimeSpan.FromMinutes(10));
        var binary = Path.Combine(output, "P2p.ColdStart");
        return File.Exists(binary) ? binary : throw new InvalidOperationException($"native AOT publish of P2p.ColdStart failed: {log}");
    }

    private static async Task<(double First, double Warm)> RunAsync(string program, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        var output = await RunToEndAsync(info, TimeSpan.FromMinutes(2));
        var line = output.Split('\n').Single(l => l.StartsWith("COLD ", StringComparison.Ordinal)).Split(' ');
        return (double.Parse(line[1], CultureInfo.InvariantCulture), double.Parse(line[2], CultureInfo.InvariantCulture));
    }

    private static async Task<string> RunToEndAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{info.FileName} exited with {process.ExitCode}: {output}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "P2p.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no P2p.sln above {AppContext.BaseDirectory}: run the benchmarks from the repository");
    }
}
