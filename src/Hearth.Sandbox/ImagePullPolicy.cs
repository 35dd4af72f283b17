namespace Hearth.Sandbox;

/// <summary>
/// When a driver that runs images asks the registry (docker's and podman's <c>--pull</c> words). A reference that is
/// not in the store is always pulled, except under <see cref="Never"/>.
/// </summary>
public enum ImagePullPolicy
{
    /// <summary>
    /// Use the stored image a tag names without asking the registry; pull only what is not stored (the default).
    /// </summary>
    Missing,

    /// <summary>Resolve the tag at the registry on every run; only layers not stored yet are downloaded.</summary>
    Always,

    /// <summary>Never contact the registry: a reference not in the store fails the start.</summary>
    Never,
}
