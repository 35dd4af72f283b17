using Hearth.Sandbox.Oci.Images;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// A run's image pull, told as lines of its log (<see cref="SandboxSpec.Status"/>): each layer's phases, then what was
/// pulled. An image already in the store gives no line.
/// </summary>
internal sealed class PullStatus(string image, IProgress<string> status) : IProgress<PullProgress>
{
    private readonly Lock _gate = new();

    public void Report(PullProgress value)
    {
        lock (_gate)
        {
            if (PullLines.Describe(value) is not { } line)
                return;
            status.Report(
                value.Phase == PullPhase.Complete
                    ? $"hearth: pulling {image}: {PullLines.Summary(value)}"
                    : $"hearth: pulling {image}: {line}"
            );
        }
    }
}
