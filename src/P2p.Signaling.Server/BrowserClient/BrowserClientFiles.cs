using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace P2p.Signaling.Server.BrowserClient;

/// <summary>
/// The browser client (<c>wwwroot/</c>: the <c>p2p.js</c> module and the demo page) embedded in this
/// assembly, so that every host of the server, and every project that references it, serves the same
/// files without copying a folder. Loaded once, served from memory with an ETag.
/// </summary>
internal static class BrowserClientFiles
{
    /// <summary>The prefix of the embedded resources' logical names (see the project file).</summary>
    private const string ResourcePrefix = "wwwroot/";

    /// <summary>What the demo page may load: only its own origin (scripts, styles, the WebSocket endpoint).</summary>
    private const string PagePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Lazy<IReadOnlyDictionary<string, BrowserClientFile>> Files = new(Load);

    /// <summary>The files by name (<c>index.html</c>, <c>p2p.js</c>, ...).</summary>
    public static IReadOnlyDictionary<string, BrowserClientFile> All => Files.Value;

    /// <summary>The page served at the endpoint's own path.</summary>
    public static BrowserClientFile Index => All["index.html"];

    /// <summary>Writes <paramref name="file"/> (headers only for HEAD; 304 when the client's ETag matches).</summary>
    public static Task ServeAsync(HttpContext context, BrowserClientFile file)
    {
        var response = context.Response;
        response.Headers.ETag = file.ETag;
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        if (file.ContentType.StartsWith("text/html", StringComparison.Ordinal))
        {
            response.Headers.ContentSecurityPolicy = PagePolicy;
        }

        foreach (var tag in context.Request.GetTypedHeaders().IfNoneMatch)
        {
            if (tag.Equals(EntityTagHeaderValue.Any) || string.Equals(tag.Tag.Value, file.ETag, StringComparison.Ordinal))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = file.ContentType;
        response.ContentLength = file.Content.Length;
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : response.Body.WriteAsync(file.Content, context.RequestAborted).AsTask();
    }

    private static Dictionary<string, BrowserClientFile> Load()
    {
        var assembly = typeof(BrowserClientFiles).Assembly;
        var files = new Dictionary<string, BrowserClientFile>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..];
            var content = Read(assembly, resource);
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
            files[name] = new BrowserClientFile(name, content, ContentTypeOf(name), etag);
        }

        if (!files.ContainsKey("index.html"))
        {
            throw new InvalidOperationException("The browser client's embedded files (wwwroot/) are missing from the assembly.");
        }

        return files;
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    };
}
