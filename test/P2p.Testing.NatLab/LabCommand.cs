using System.Diagnostics;
using System.Text;

namespace P2p.Testing.NatLab;

/// <summary>
/// Runs the lab's system tools (<c>ip</c>, <c>iptables</c>, <c>sysctl</c>) and fails loudly: a missing tool or a
/// command that exits non-zero throws with the command line and its error output, so a lab test never passes or
/// skips without the lab it needs.
/// </summary>
public static class LabCommand
{
    private static readonly string[] SearchPath = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"];

    /// <summary>The full path of <paramref name="tool"/>.</summary>
    /// <param name="tool">The program's name, e.g. <c>iptables</c>.</param>
    /// <param name="package">The Debian package that provides it (for the error message).</param>
    /// <returns>The path.</returns>
    /// <exception cref="InvalidOperationException">The tool is not installed.</exception>
    public static string Require(string tool, string package)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(SearchPath)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
        return path ?? throw new InvalidOperationException(
            $"The NAT lab needs '{tool}', which is not installed: apt-get install -y {package} (./test.sh installs it).");
    }

    /// <summary>Checks that network namespaces can be made here: Linux, root and iproute2.</summary>
    /// <exception cref="InvalidOperationException">Not root, not Linux, or <c>ip</c> is missing; the message says which.</exception>
    public static void RequireNamespaces()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException("The NAT lab needs Linux network namespaces.");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("The NAT lab needs root (ip netns, iptables); ./test.sh runs as root.");
        }

        _ = LabTools.Ip;
    }

    /// <summary>Checks that the lab can run here: root (namespaces, iptables) and the tools it drives.</summary>
    /// <exception cref="InvalidOperationException">Not root, not Linux, or a tool is missing; the message says which.</exception>
    public static void RequireLab()
    {
        RequireNamespaces();
        _ = LabTools.Iptables;
        _ = LabTools.IptablesRestore;
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> and returns its standard output.</summary>
    /// <param name="file">The program.</param>
    /// <param name="arguments">Its arguments, one per element (no shell).</param>
    /// <returns>Standard output.</returns>
    /// <exception cref="InvalidOperationException">It exited non-zero.</exception>
    public static string Run(string file, params IEnumerable<string> arguments) => RunWithInput(file, null, arguments);

    /// <summary>Runs <paramref name="file"/>, writes <paramref name="input"/> to its standard input and returns its standard output.</summary>
    /// <param name="file">The program.</param>
    /// <param name="input">Standard input (e.g. an <c>iptables-restore</c> script), or <see langword="null"/>.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <returns>Standard output.</returns>
    /// <exception cref="InvalidOperationException">It exited non-zero.</exception>
    public static string RunWithInput(string file, string? input, params IEnumerable<string> arguments)
    {
        var (code, output, error) = TryRun(file, input, arguments);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{Format(file, arguments)}' exited with {code}: {error.Trim()}");
        }

        return output;
    }

    /// <summary>Runs a command and returns its exit code and output without throwing on failure.</summary>
    /// <param name="file">The program.</param>
    /// <param name="input">Standard input, or <see langword="null"/>.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <returns>The exit code, standard output and standard error.</returns>
    public static (int ExitCode, string Output, string Error) TryRun(string file, string? input, params IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var error = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (error)
                {
                    error.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        lock (error)
        {
            return (process.ExitCode, output, error.ToString());
        }
    }

    private static string Format(string file, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { file }.Concat(arguments.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a)));
}
