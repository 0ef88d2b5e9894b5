namespace P2p.Fuzzing.Tests;

/// <summary>Runs one input through a target with a time limit: an exception or a run over the limit (a hang) is a failure.</summary>
internal static class InputReplayer
{
    /// <summary>Generous next to afl's limit (fuzz/run.sh): the replay runs uninstrumented, but on a busy CI machine.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Null when the input ran cleanly, else what went wrong.</summary>
    public static string? Replay(FuzzTarget target, byte[] input, string name)
    {
        var run = Task.Factory.StartNew(() => target.Run(input), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!run.Wait(Limit))
            {
                return $"{name}: still running after {Limit.TotalSeconds} s (a hang)";
            }
        }
        catch (AggregateException e)
        {
            return $"{name}: {e.InnerException}";
        }

        return null;
    }
}
