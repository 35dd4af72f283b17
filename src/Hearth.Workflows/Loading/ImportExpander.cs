using Hearth.Kdl;
using Hearth.Workflows.Conditions;
using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Imports;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Loading;

/// <summary>
/// Turns chain items into step drafts, splicing in imported files. One instance per load: it caches
/// imported files and tracks the current import path, so a file may be imported in several places but
/// never (directly or indirectly) from itself.
/// </summary>
internal sealed class ImportExpander
{
    private readonly WorkflowLoaderOptions _options;
    private readonly DiagnosticBag _diagnostics;
    private readonly Dictionary<string, ImportedFile?> _cache = new(StringComparer.Ordinal);
    private readonly List<ImportSource> _path = [];
    private int _steps;
    private bool _limitReported;

    public ImportExpander(WorkflowLoaderOptions options, DiagnosticBag diagnostics, ImportSource root)
    {
        _options = options;
        _diagnostics = diagnostics;
        _path.Add(root);
    }

    public async Task<List<StepDraft>> ExpandAsync(
        IReadOnlyList<ChainItemSyntax> items,
        string machine,
        string? importedFrom,
        CancellationToken cancellationToken
    )
    {
        var drafts = new List<StepDraft>();
        foreach (var item in items)
        {
            drafts.AddRange(
                await ExpandItemAsync(item, machine, importedFrom, cancellationToken).ConfigureAwait(false)
            );
        }

        return drafts;
    }

    private async Task<List<StepDraft>> ExpandItemAsync(
        ChainItemSyntax item,
        string machine,
        string? importedFrom,
        CancellationToken cancellationToken
    )
    {
        switch (item)
        {
            case ParallelSyntax parallel:
            {
                var group = NewDraft(WorkflowStepKind.Parallel, parallel.Location, null, null, null, importedFrom);
                foreach (var child in parallel.Items)
                {
                    var expanded = await ExpandItemAsync(child, machine, importedFrom, cancellationToken)
                        .ConfigureAwait(false);
                    if (expanded.Count > 1)
                    {
                        // A multi-step import keeps its order inside a parallel block.
                        var sequence = NewDraft(
                            WorkflowStepKind.Sequence,
                            child.Location,
                            null,
                            null,
                            null,
                            expanded[0].ImportedFrom
                        );
                        sequence.Children.AddRange(expanded);
                        group.Children.Add(sequence);
                    }
                    else
                    {
                        group.Children.AddRange(expanded);
                    }
                }

                return [group];
            }

            case FragmentSyntax { Run: { } run } fragment:
            {
                var step = NewDraft(
                    WorkflowStepKind.Run,
                    fragment.Location,
                    run,
                    fragment.Machine ?? machine,
                    fragment.Condition,
                    importedFrom
                );
                step.Lock = fragment.Lock;
                step.Secrets = fragment.Secrets ?? [];
                step.Attempts = fragment.Attempts;
                step.RetryExitCodes = fragment.RetryExitCodes ?? [];
                return [step];
            }

            case FragmentSyntax { From: { } from } fragment:
                return await ExpandImportAsync(fragment, from, machine, cancellationToken).ConfigureAwait(false);

            default:
                return [];
        }
    }

    private async Task<List<StepDraft>> ExpandImportAsync(
        FragmentSyntax fragment,
        string from,
        string machine,
        CancellationToken cancellationToken
    )
    {
        var importer = _path[^1];
        var source = Resolve(from, importer, fragment.FromLocation);
        if (source is null)
        {
            return [];
        }

        int onPath = _path.FindIndex(p => p.Key == source.Key);
        if (onPath >= 0)
        {
            string cycle = string.Join(
                " -> ",
                _path.Skip(onPath).Select(p => p.DisplayName).Append(source.DisplayName)
            );
            _diagnostics.Add(WorkflowErrorCode.CircularImport, fragment.FromLocation, $"circular import: {cycle}");
            return [];
        }

        if (_path.Count > _options.Limits.MaxDepth)
        {
            _diagnostics.Add(
                WorkflowErrorCode.ImportLimitExceeded,
                fragment.FromLocation,
                $"imports are nested more than {_options.Limits.MaxDepth} deep"
            );
            return [];
        }

        var file = await LoadAsync(source, fragment.FromLocation, cancellationToken).ConfigureAwait(false);
        if (file is null)
        {
            return [];
        }

        _path.Add(file.Source);
        try
        {
            var drafts = await ExpandAsync(
                    file.Items,
                    fragment.Machine ?? machine,
                    file.Source.IsLocal ? file.Source.DisplayName : file.Source.Uri.AbsoluteUri,
                    cancellationToken
                )
                .ConfigureAwait(false);
            if (fragment.Condition is { } condition)
            {
                foreach (var draft in drafts)
                {
                    draft.Condition = draft.Condition is null ? condition : Condition.And(condition, draft.Condition);
                }
            }

            return drafts;
        }
        finally
        {
            _path.RemoveAt(_path.Count - 1);
        }
    }

    private ImportSource? Resolve(string from, ImportSource importer, SourceLocation location)
    {
        if (from.Length == 0)
        {
            _diagnostics.Add(WorkflowErrorCode.InvalidImport, location, "'from' must not be empty");
            return null;
        }

        Uri? uri = null;
        if (
            from.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || from.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        )
        {
            if (!Uri.TryCreate(from, UriKind.Absolute, out uri))
            {
                _diagnostics.Add(WorkflowErrorCode.InvalidImport, location, $"'{from}' is not a valid URL");
                return null;
            }
        }
        else if (from.Contains("://", StringComparison.Ordinal))
        {
            _diagnostics.Add(
                WorkflowErrorCode.InvalidImport,
                location,
                $"'{from}': imports must be https URLs or paths relative to the importing file"
            );
            return null;
        }
        else if (importer.IsLocal)
        {
            string directory = Path.GetDirectoryName(importer.Uri.LocalPath) ?? ".";
            string path = Path.IsPathRooted(from) ? from : Path.Combine(directory, from);
            return new ImportSource(new Uri(Path.GetFullPath(path)), RelativeDisplay(importer, from, path));
        }
        else if (!Uri.TryCreate(importer.Uri, from, out uri))
        {
            _diagnostics.Add(
                WorkflowErrorCode.InvalidImport,
                location,
                $"'{from}' is not a valid path relative to {importer.DisplayName}"
            );
            return null;
        }

        return new ImportSource(uri, uri.AbsoluteUri);
    }

    /// <summary>
    /// Names a local import the way the user named the root: absolute stays absolute, else relative to the working
    /// directory.
    /// </summary>
    private static string RelativeDisplay(ImportSource importer, string from, string path)
    {
        string full = Path.GetFullPath(path);
        return Path.IsPathRooted(from) || Path.IsPathRooted(importer.DisplayName)
            ? full
            : Path.GetRelativePath(Environment.CurrentDirectory, full);
    }

    private async Task<ImportedFile?> LoadAsync(
        ImportSource source,
        SourceLocation importSite,
        CancellationToken cancellationToken
    )
    {
        if (_cache.TryGetValue(source.Key, out var cached))
        {
            return cached;
        }

        ImportedFile? file = null;
        try
        {
            string text;
            string display = source.DisplayName;
            if (source.IsLocal)
            {
                text = Utf8Text.ReadFile(source.Uri.LocalPath, _options.Limits.MaxBytes);
            }
            else if (_options.ImportFetcher is null)
            {
                throw new ImportFetchException(
                    "remote imports are not enabled here (use --import-root DIR to check them offline)"
                );
            }
            else
            {
                var fetched = await _options
                    .ImportFetcher.FetchAsync(source.Uri, cancellationToken)
                    .ConfigureAwait(false);
                text = fetched.Text;
                display = fetched.DisplayName;
                if (text.Length > _options.Limits.MaxBytes)
                {
                    throw new ImportFetchException(
                        $"the file is larger than the limit of {_options.Limits.MaxBytes} bytes"
                    );
                }
            }

            var named = source with { DisplayName = display };
            var document = KdlReader.Parse(text, display);
            var items = new WorkflowSchemaReader(
                display,
                _diagnostics,
                _options.ExtraConditionVariables
            ).ReadFragmentFile(document);
            file = new ImportedFile(named, items);
        }
        catch (ImportFetchException ex)
        {
            _diagnostics.Add(
                WorkflowErrorCode.FetchFailed,
                importSite,
                $"cannot import {source.DisplayName}: {ex.Message}"
            );
        }
        catch (KdlParseException ex)
        {
            _diagnostics.Add(
                WorkflowErrorCode.InvalidSyntax,
                new SourceLocation(source.DisplayName, ex.Location.Line, ex.Location.Column),
                ex.Reason
            );
        }

        _cache[source.Key] = file;
        return file;
    }

    private StepDraft NewDraft(
        WorkflowStepKind kind,
        SourceLocation location,
        string? run,
        string? machine,
        Condition? condition,
        string? importedFrom
    )
    {
        if (++_steps > _options.Limits.MaxSteps)
        {
            if (!_limitReported)
            {
                _limitReported = true;
                _diagnostics.Add(
                    WorkflowErrorCode.ImportLimitExceeded,
                    location,
                    $"the workflow has more than {_options.Limits.MaxSteps} steps after imports are spliced in"
                );
            }

            throw new LimitExceededException();
        }

        return new StepDraft
        {
            Kind = kind,
            Source = location,
            Run = run,
            Machine = machine,
            Condition = condition,
            ImportedFrom = importedFrom,
        };
    }

    private sealed record ImportedFile(ImportSource Source, IReadOnlyList<ChainItemSyntax> Items);
}
