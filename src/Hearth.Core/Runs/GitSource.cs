namespace Hearth.Core.Runs;

/// <summary>A repository checked out into the run's workspace before its command runs.</summary>
/// <param name="Ref">Branch, tag or commit SHA; null for the remote's default branch.</param>
/// <param name="Path">Directory of the checkout the command runs in; null for its root.</param>
/// <param name="Secret">Name of a secret holding the credentials (a token, or user:token); never on a command
/// line.</param>
public sealed record GitSource(string Repo, string? Ref = null, string? Path = null, string? Secret = null)
{
    /// <summary>
    /// Where the lease carries the secret's value: seen by the checkout phase only, never by the command.
    /// </summary>
    public const string CredentialsVariable = "HEARTH_GIT_CREDENTIALS";
}
