using System.Runtime.InteropServices;

namespace P2p.Testing.NatLab;

/// <summary>The one system call the lab needs that .NET does not wrap: <c>setns(2)</c> for network namespaces.</summary>
internal static class LinuxNetworkNamespaces
{
    /// <summary>Where <c>ip netns add NAME</c> keeps a namespace (a bind mount of its <c>/proc/PID/ns/net</c>).</summary>
    public const string Directory = "/var/run/netns";

    private const int CloneNewNet = 0x40000000;

    /// <summary>Moves the calling thread (and only it) into the named namespace; sockets it creates afterwards belong there.</summary>
    /// <param name="name">The namespace's name as given to <c>ip netns add</c>.</param>
    /// <exception cref="IOException">The namespace does not exist or setns failed (e.g. without CAP_SYS_ADMIN).</exception>
    public static void EnterOnThisThread(string name)
    {
        var path = Path.Combine(Directory, name);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"setns({path}, CLONE_NEWNET) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
    }

    // DllImport rather than LibraryImport: the generated stub would need unsafe code, and these arguments are blittable.
    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetNs(int fd, int nstype);
}
