using Hearth.Core.Runs;
using Hearth.Core.Services;
using Hearth.Store.Services;

namespace Hearth.Server.Services;

/// <summary>What a replica runs as a task, and how its task's state reads as the replica's phase.</summary>
public static class ReplicaTasks
{
    /// <summary>
    /// The task of replica <paramref name="replica"/> of <paramref name="service"/>, pinned to
    /// <paramref name="agent"/>.
    /// </summary>
    public static TaskSpec Spec(string project, ServiceDefinition service, int replica, string agent, string hash) =>
        new()
        {
            Command = service.Command,
            Env = service.Env,
            Driver = ReplicaPlacement.Driver,
            Image = service.Image,
            Pull = service.Pull,
            // network_mode none: loopback only; service:X: the agent joins X's replica's namespace instead.
            Network = service.NetworkMode is null,
            Ports = service.Ports,
            Cpus = service.Cpus,
            MemoryBytes = service.MemoryBytes,
            Pids = service.Pids,
            Requirements = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                [$"driver.{ReplicaPlacement.Driver}"] = "true",
                [AgentLabels.Name] = agent,
            },
            Service = new ServiceReplicaSpec
            {
                Project = project,
                Service = service.Name,
                Replica = replica,
                DefinitionHash = hash,
                Hostname = service.Hostname ?? $"{service.Name}-{replica}",
                Networks = service.Networks,
                NetworkMode = service.NetworkMode,
                IpcOf = service.IpcOf,
                Mounts = service.Mounts,
                Files = service.Files,
                HealthCheck = service.HealthCheck,
                Container = service.Container,
            },
        };

    /// <summary>
    /// The replica as the reconciler sees it: its record joined with its current task (null: none, or gone).
    /// </summary>
    public static ReplicaStatus Status(ReplicaRecord record, RunTask? task, RunTask? nextTask = null) =>
        new()
        {
            Service = record.Service,
            Replica = record.Replica,
            Generation = record.Generation,
            DefinitionHash = record.DefinitionHash,
            Phase = Phase(record, task),
            Health = record.Health,
            Agent = record.Agent,
            ExitCode = task?.State == TaskState.Succeeded ? 0 : task?.ExitCode,
            Restarts = record.Restarts,
            StartedAt = task?.StartedAt,
            EndedAt = task?.EndedAt,
            Stopping = record.Stopping && task is { State: TaskState.Pending or TaskState.Leased or TaskState.Running },
            RestartRequested = record.RestartRequested,
            HealthOutput = record.HealthOutput,
            FailedHash = record.FailedHash,
            Successor = record.Next is { } next
                ? new ReplicaStatus
                {
                    Service = record.Service,
                    Replica = record.Replica,
                    Generation = next.Generation,
                    DefinitionHash = next.DefinitionHash,
                    Phase = nextTask is null ? ReplicaPhase.Stopped : Phase(record, nextTask),
                    Health = next.Health,
                    Agent = next.Agent,
                    ExitCode = nextTask?.State == TaskState.Succeeded ? 0 : nextTask?.ExitCode,
                    StartedAt = nextTask?.StartedAt,
                    EndedAt = nextTask?.EndedAt,
                    HealthOutput = next.HealthOutput,
                }
                : null,
        };

    public static ReplicaPhase Phase(ReplicaRecord record, RunTask? task) =>
        task?.State switch
        {
            null => record.Generation == 0 ? ReplicaPhase.Absent : ReplicaPhase.Stopped,
            TaskState.Pending or TaskState.Leased or TaskState.Waiting => ReplicaPhase.Pending,
            TaskState.Running => ReplicaPhase.Running,
            TaskState.Stopped or TaskState.Skipped => ReplicaPhase.Stopped,
            // Failed with no exit: its agent was lost, or no agent ever took it (its agent left before leasing it).
            TaskState.Failed
                when task.ExitCode is null
                    && (
                        task.LeasedAt is null || task.Reason?.StartsWith("agent lost", StringComparison.Ordinal) == true
                    ) => ReplicaPhase.Lost,
            _ => ReplicaPhase.Exited,
        };
}
