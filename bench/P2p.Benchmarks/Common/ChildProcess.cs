using System.Diagnostics;
using System.Reflection;

namespace P2p.Benchmarks.Common;

/// <summary>Runs another scenario of this program in a child process (so that its memory is measured alone).</summary>
internal static class ChildProcess
{
    /// <summary>`P2p.Benchmarks NAME ARGS…` with stdin and stdout redirected, server GC off.</summary>
    public static ProcessStartInfo StartInfo(string scenario, params string[] args) => StartInfo(scenario, 0, args);

    /// <summary>
    /// As <see cref="StartInfo(string, string[])"/>, for a child that must hold about <paramref name="fileDescriptors"/>
    /// sockets: when that is above this process's hard RLIMIT_NOFILE (.NET raises the soft limit to the hard one by
    /// itself), the child is started through <c>sh -c 'ulimit -n N; exec …'</c> (raising a hard limit needs root).
    /// </summary>
    public static ProcessStartInfo StartInfo(string scenario, int fileDescriptors, params string[] args)
    {
        var host = Environment.ProcessPath!;
        var info = new ProcessStartInfo(host) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        var wanted = fileDescriptors + 1024;
        if (fileDescriptors > 0 && FileDescriptorLimit.Hard < wanted)
        {
            info.FileName = "/bin/sh";
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"ulimit -n {wanted} && exec \"$0\" \"$@\""));
            info.ArgumentList.Add(host);
        }

        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        info.ArgumentList.Add(scenario);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        return info;
    }

    /// <summary>Runs the scenario to its end and returns its standard output (throws when it fails or takes longer than <paramref name="timeout"/>).</summary>
    public static Task<string> RunAsync(string scenario, TimeSpan timeout, params string[] args) => RunAsync(scenario, StartInfo(scenario, args), timeout);

    /// <summary>As <see cref="RunAsync(string, TimeSpan, string[])"/>, with the server garbage collector (what a server-like process hosting many members would use).</summary>
    public static Task<string> RunWithServerGcAsync(string scenario, TimeSpan timeout, params string[] args)
    {
        var info = StartInfo(scenario, args);
        info.Environment["DOTNET_gcServer"] = "1";
        return RunAsync(scenario, info, timeout);
    }

    private static async Task<string> RunAsync(string scenario, ProcessStartInfo info, TimeSpan timeout)
    {
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start '{scenario}'");
        try
        {
            process.StandardInput.Close();
            var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(timeout);
            await process.WaitForExitAsync().WaitAsync(timeout);
            return process.ExitCode == 0 ? output : throw new InvalidOperationException($"'{scenario}' exited with {process.ExitCode}: {output}");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }
}
