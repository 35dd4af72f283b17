namespace Hearth.Core.Runs;

/// <summary>
/// The kinds of run, as the store and the API write them, and the kind of task each one is made of.
/// </summary>
public static class RunKinds
{
    public const string Command = "command";
    public const string Workflow = "workflow";
    public const string Deployment = "deployment";
    public const string CiJob = "ci_job";

    /// <summary>
    /// The kind of the tasks a run of <paramref name="runKind"/> is made of (stores made before tasks had a kind).
    /// </summary>
    public static TaskKind TaskKindOf(string runKind) =>
        runKind switch
        {
            Workflow => TaskKind.WorkflowStep,
            Deployment => TaskKind.ServiceReplica,
            CiJob => TaskKind.CiJob,
            _ => TaskKind.Command,
        };
}
