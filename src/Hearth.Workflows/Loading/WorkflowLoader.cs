using Hearth.Kdl;
using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Imports;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Loading;

/// <summary>Loads a workflow file: parses it, resolves imports, checks everything and builds the graph.</summary>
public sealed class WorkflowLoader
{
    private readonly WorkflowLoaderOptions _options;

    public WorkflowLoader(WorkflowLoaderOptions? options = null)
    {
        _options = options ?? WorkflowLoaderOptions.Default;
    }

    /// <summary>Loads <paramref name="path"/>; diagnostics name the file as given.</summary>
    public async Task<WorkflowLoadResult> LoadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = Utf8Text.ReadFile(path, _options.Limits.MaxBytes);
        }
        catch (ImportFetchException ex)
        {
            return new WorkflowLoadResult(
                null,
                [new WorkflowDiagnostic(WorkflowErrorCode.FileNotReadable, new SourceLocation(path, 1, 1), ex.Message)]
            );
        }

        return await LoadTextAsync(text, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads workflow text; relative imports resolve against the directory of <paramref name="path"/>.
    /// </summary>
    public Task<WorkflowLoadResult> LoadTextAsync(
        string text,
        string path,
        CancellationToken cancellationToken = default
    )
    {
        ArgumentNullException.ThrowIfNull(path);
        return LoadTextAsync(text, path, ImportSource.ForLocalFile(path), cancellationToken);
    }

    /// <summary>
    /// Loads workflow text that lives at <paramref name="source"/>, a URL that is not a local file (a file of a
    /// repository at a commit): every import, relative or absolute, resolves against that URL and goes through the
    /// options' fetcher, so nothing is read from this machine's disk.
    /// </summary>
    public Task<WorkflowLoadResult> LoadTextAsync(
        string text,
        Uri source,
        string displayName,
        CancellationToken cancellationToken = default
    )
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.IsFile)
            throw new ArgumentException("a local file loads through LoadFileAsync", nameof(source));
        return LoadTextAsync(text, displayName, new ImportSource(source, displayName), cancellationToken);
    }

    private async Task<WorkflowLoadResult> LoadTextAsync(
        string text,
        string path,
        ImportSource root,
        CancellationToken cancellationToken
    )
    {
        ArgumentNullException.ThrowIfNull(text);
        var diagnostics = new DiagnosticBag();
        KdlDocument document;
        try
        {
            document = KdlReader.Parse(text, path);
        }
        catch (KdlParseException ex)
        {
            diagnostics.Add(
                WorkflowErrorCode.InvalidSyntax,
                new SourceLocation(path, ex.Location.Line, ex.Location.Column),
                ex.Reason
            );
            return new WorkflowLoadResult(null, diagnostics.Items);
        }

        var syntax = new WorkflowSchemaReader(path, diagnostics, _options.ExtraConditionVariables).ReadWorkflow(
            document
        );
        if (syntax is null)
        {
            return new WorkflowLoadResult(null, diagnostics.Items);
        }

        var expander = new ImportExpander(_options, diagnostics, root);
        List<StepDraft> drafts;
        try
        {
            drafts = await expander
                .ExpandAsync(syntax.Items, syntax.Machine, null, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (LimitExceededException)
        {
            return new WorkflowLoadResult(null, diagnostics.Items);
        }

        if (drafts.Count == 0 && diagnostics.Count == 0)
        {
            diagnostics.Add(WorkflowErrorCode.MissingRequired, syntax.Location, "the chain has no fragments to run");
        }

        if (diagnostics.Count > 0)
        {
            return new WorkflowLoadResult(null, diagnostics.Items);
        }

        var graph = new WorkflowGraph(GraphBuilder.Build(drafts));
        var workflow = new WorkflowDefinition(
            path,
            syntax.Version,
            syntax.Triggers,
            syntax.Machine,
            graph,
            syntax.Location
        )
        {
            DefaultAttempts = syntax.Attempts,
            TriggerFilters = syntax.TriggerFilters,
            Schedules = syntax.Schedules,
        };
        return new WorkflowLoadResult(workflow, []);
    }
}
