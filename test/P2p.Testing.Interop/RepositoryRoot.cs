namespace P2p.Testing.Interop;

/// <summary>The repository's root folder: the first folder above the running assembly that holds P2p.sln.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    /// <summary>The root folder's full path.</summary>
    /// <exception cref="InvalidOperationException">No P2p.sln above the running assembly.</exception>
    public static string Path => Root.Value;

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "P2p.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No P2p.sln above {AppContext.BaseDirectory}: run from a build inside the repository.");
    }
}
