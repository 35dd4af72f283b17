using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Loading;

namespace Hearth.Workflows;

/// <summary>
/// Entry point for <c>hearth workflow validate FILE...</c>: loads every file (with its imports) and
/// collects the diagnostics. The CLI prints <see cref="WorkflowValidationReport.Lines"/> and exits with
/// <see cref="WorkflowValidationReport.ExitCode"/>.
/// </summary>
public sealed class WorkflowValidator
{
    private readonly WorkflowLoader _loader;

    public WorkflowValidator(WorkflowLoaderOptions? options = null)
    {
        _loader = new WorkflowLoader(options);
    }

    /// <summary>A validator as the CLI needs it: see <see cref="WorkflowLoaderOptions.ForCli"/>.</summary>
    public static WorkflowValidator ForCli(string? importRoot, HttpClient? httpClient = null) =>
        new(WorkflowLoaderOptions.ForCli(importRoot, httpClient));

    public async Task<WorkflowValidationReport> ValidateAsync(
        IEnumerable<string> files,
        CancellationToken cancellationToken = default
    )
    {
        ArgumentNullException.ThrowIfNull(files);
        var diagnostics = new List<WorkflowDiagnostic>();
        int count = 0;
        foreach (var file in files)
        {
            count++;
            var result = await _loader.LoadFileAsync(file, cancellationToken).ConfigureAwait(false);
            diagnostics.AddRange(result.Diagnostics);
        }

        return new WorkflowValidationReport(count, diagnostics);
    }
}
