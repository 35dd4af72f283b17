namespace Hearth.EndToEnd.Tests;

/// <summary>Which database a test cluster's servers share.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
}
