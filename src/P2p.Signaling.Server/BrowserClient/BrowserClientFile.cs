namespace P2p.Signaling.Server.BrowserClient;

/// <summary>One file of the browser client, held in memory.</summary>
/// <param name="Name">The file name (e.g. <c>p2p.js</c>).</param>
/// <param name="Content">The bytes served.</param>
/// <param name="ContentType">The <c>Content-Type</c> header value.</param>
/// <param name="ETag">A strong entity tag derived from the content (quoted).</param>
internal sealed record BrowserClientFile(string Name, byte[] Content, string ContentType, string ETag);
