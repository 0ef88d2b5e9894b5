using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace P2p.Signaling.Server.Diagnostics;

/// <summary>
/// Writes a health report as JSON, one entry per check, so several checks (the signaling hub's, a Redis
/// check...) each show their own status:
/// <c>{"status":"Healthy","durationMs":0.4,"checks":[{"name":"p2p-signaling","status":"Healthy","description":"Serving 3 connections.","durationMs":0.1}]}</c>.
/// The HTTP status is the health check middleware's: 200 for Healthy and Degraded, 503 for Unhealthy.
/// </summary>
internal static class SignalingHealthResponseWriter
{
    /// <summary>Writes <paramref name="report"/> to the response.</summary>
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteNumber("durationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 3));
        json.WriteStartArray("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("status", entry.Status.ToString());
            if (entry.Description is { } description)
            {
                json.WriteString("description", description);
            }

            if (entry.Exception is { } exception && entry.Description != exception.Message)
            {
                json.WriteString("error", exception.Message);
            }

            json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 3));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
