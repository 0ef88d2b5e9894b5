using Microsoft.Extensions.Options;

namespace P2p.Hosting;

/// <summary>Checks <see cref="P2pClientOptions"/> when the host starts, so a misconfiguration stops it with every problem named.</summary>
internal sealed class P2pClientOptionsValidator : IValidateOptions<P2pClientOptions>
{
    public ValidateOptionsResult Validate(string? name, P2pClientOptions options)
    {
        var problems = new List<string>();
        if (options.SignalingUri is not { IsAbsoluteUri: true } uri)
        {
            problems.Add("P2pClientOptions.SignalingUri is required: the signaling server's absolute ws:// or wss:// address.");
        }
        else if (uri.Scheme is not ("ws" or "wss"))
        {
            problems.Add($"P2pClientOptions.SignalingUri must be a ws:// or wss:// address, not {uri.Scheme}://.");
        }

        if (options.Signaling is null)
        {
            problems.Add("P2pClientOptions.Signaling must not be null.");
        }

        if (options.Transport is null)
        {
            problems.Add("P2pClientOptions.Transport must not be null.");
        }

        if (options.Service is null)
        {
            problems.Add("P2pClientOptions.Service must not be null.");
        }
        else
        {
            try
            {
                options.Service.Validate();
            }
            catch (ArgumentException ex)
            {
                problems.Add($"P2pClientOptions.Service: {ex.Message}");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
