namespace Hearth.Workflows.Model;

public enum WorkflowStepKind
{
    /// <summary>Runs <see cref="WorkflowStep.Run"/> with <c>/bin/sh -c</c> on an agent of its machine group.</summary>
    Run,

    /// <summary>A <c>parallel</c> block: its children start together; it ends when all have ended.</summary>
    Parallel,

    /// <summary>
    /// A multi-step import inside a <c>parallel</c> block: its children run one after another, so an imported
    /// pipeline keeps its order (Vulcan ran such steps all at once).
    /// </summary>
    Sequence,
}
