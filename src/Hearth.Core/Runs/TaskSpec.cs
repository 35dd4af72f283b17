using Hearth.Core.Builds;
using Hearth.Core.Locks;
using Hearth.Core.Services;

namespace Hearth.Core.Runs;

/// <summary>What an agent needs to execute one task. Stored with the task and handed over with the lease.</summary>
public sealed record TaskSpec
{
    public required IReadOnlyList<string> Command { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Names of secrets injected at lease time; only the names are stored.</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>Driver name, or null for the agent's default.</summary>
    public string? Driver { get; init; }
    public string? Image { get; init; }

    /// <summary>When the agent resolves the image's tag at its registry: missing (null), always or never.</summary>
    public string? Pull { get; init; }
    public bool Network { get; init; }

    /// <summary>Ports published on the agent's host (oci driver; needs Network).</summary>
    public IReadOnlyList<PublishedPort> Ports { get; init; } = [];
    public double? Cpus { get; init; }
    public long? MemoryBytes { get; init; }
    public int? Pids { get; init; }

    /// <summary>How long the command may run once started; enforced by the server.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Labels an agent must carry (k=v) to be granted this task.</summary>
    public IReadOnlyDictionary<string, string> Requirements { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// When a failed attempt is retried; null: only a lost agent re-queues it, up to the task's max attempts.
    /// </summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>A cluster-wide lock the task must hold before it is offered to agents.</summary>
    public LockRequest? Lock { get; init; }

    /// <summary>A repository cloned into the workspace before the command runs.</summary>
    public GitSource? Git { get; init; }

    /// <summary>
    /// The W3C traceparent of the request that created the task, so the agent's spans join its trace.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>A service replica's own part (kind <c>ServiceReplica</c> only; null otherwise).</summary>
    public ServiceReplicaSpec? Service { get; init; }

    /// <summary>An image to build and push (the buildah driver's task; null otherwise).</summary>
    public ImageBuildSpec? Build { get; init; }
}
