namespace Hearth.Workflows.Imports;

public sealed class ImportFetchException : Exception
{
    public ImportFetchException(string message, Exception? inner = null)
        : base(message, inner) { }
}
