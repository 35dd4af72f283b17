namespace Hearth.Workflows.Diagnostics;

/// <summary>What went wrong, for programs; people read <see cref="WorkflowDiagnostic.Message"/>.</summary>
public enum WorkflowErrorCode
{
    InvalidSyntax,
    FileNotReadable,
    MissingRequired,
    UnsupportedVersion,
    InvalidTrigger,
    InvalidValue,
    UnknownNode,
    DuplicateNode,
    MutualExclusion,
    NoContent,
    InvalidImportNode,
    InvalidImport,
    CircularImport,
    FetchFailed,
    ImportLimitExceeded,
    InvalidCondition,
}
