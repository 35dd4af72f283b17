using Hearth.Workflows.Imports;

namespace Hearth.Workflows.Loading;

public sealed record WorkflowLoaderOptions
{
    public static WorkflowLoaderOptions Default { get; } = new();

    /// <summary>Fetches http(s) imports; null means remote imports are reported as errors.</summary>
    public IImportFetcher? ImportFetcher { get; init; }

    public ImportLimits Limits { get; init; } = ImportLimits.Default;

    /// <summary>Variables conditions may use besides the built-in ones (<c>$BRANCH</c>, <c>$TRIGGER</c>, …).</summary>
    public IReadOnlySet<string>? ExtraConditionVariables { get; init; }

    /// <summary>
    /// Options for the CLI: with <paramref name="importRoot"/>, URLs resolve to files in that directory by their
    /// last path segment (offline); otherwise, with <paramref name="httpClient"/>, https imports are fetched.
    /// </summary>
    public static WorkflowLoaderOptions ForCli(
        string? importRoot,
        HttpClient? httpClient = null,
        ImportLimits? limits = null
    )
    {
        limits ??= ImportLimits.Default;
        IImportFetcher? fetcher =
            importRoot is not null ? new ImportRootFetcher(importRoot, limits)
            : httpClient is not null ? new HttpImportFetcher(httpClient, limits)
            : null;
        return new WorkflowLoaderOptions { ImportFetcher = fetcher, Limits = limits };
    }
}
