using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace P2p.Benchmarks.Profiling;

/// <summary>
/// Samples what the process allocates, by type: the runtime's GC AllocationTick events (one per ~100 KB allocated, naming
/// the type of the allocation that crossed the threshold), so each type's share of the ticks estimates its share of the
/// bytes. Good enough to find the hot allocations of a steady-state loop of many thousand iterations.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int AllocationTickEvent = 10;
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _ticks = new(StringComparer.Ordinal);
    private volatile bool _recording;

    /// <summary>Starts counting (events before this are ignored).</summary>
    public void Start()
    {
        _ticks.Clear();
        _recording = true;
    }

    /// <summary>Stops counting.</summary>
    public void Stop() => _recording = false;

    /// <summary>Each sampled type with its share of the ticks, most first.</summary>
    public IReadOnlyList<(string Type, double Share)> Shares()
    {
        var total = (double)Math.Max(1, _ticks.Values.Sum());
        return [.. _ticks.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value / total))];
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventId != AllocationTickEvent || eventData.PayloadNames is null)
        {
            return;
        }

        var index = eventData.PayloadNames.IndexOf("TypeName");
        var type = index >= 0 ? eventData.Payload?[index] as string ?? "?" : "?";
        _ticks.AddOrUpdate(type, 1, (_, n) => n + 1);
    }
}
