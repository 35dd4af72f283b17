using Hearth.Compose.Model;

namespace Hearth.Compose;

/// <summary>Either a project or the errors that refused it (never both).</summary>
public sealed record ComposeLoadResult(ComposeProject? Project, IReadOnlyList<ComposeError> Errors)
{
    public bool Success => Project is not null;

    public static ComposeLoadResult Failed(IEnumerable<ComposeError> errors) => new(null, errors.Distinct().ToList());
}
