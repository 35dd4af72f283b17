namespace Hearth.Sandbox.Running;

internal static class SandboxIds
{
    /// <summary>Sandbox ids name directories and cgroups, so only a safe file-name alphabet is allowed.</summary>
    public static void Validate(string sandboxId)
    {
        if (
            sandboxId.Length is 0 or > 128
            || sandboxId is "." or ".."
            || !sandboxId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
        )
        {
            throw new SandboxStartException(
                $"invalid sandbox id '{sandboxId}': use 1-128 characters from [A-Za-z0-9._-]"
            );
        }
    }
}
