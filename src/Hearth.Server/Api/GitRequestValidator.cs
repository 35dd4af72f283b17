using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Server.Api;

/// <summary>The git workspace fields of a run request.</summary>
public static class GitRequestValidator
{
    public static GitSource? Validate(CreateRunBody body, List<string> errors)
    {
        if (body.GitRepo is null)
        {
            if (body.GitRef is not null || body.GitPath is not null || body.GitSecret is not null)
                errors.Add("git_repo: required with git_ref, git_path or git_secret");
            return null;
        }
        if (
            string.IsNullOrWhiteSpace(body.GitRepo)
            || body.GitRepo.StartsWith('-')
            || body.GitRepo.Any(char.IsControl)
            || body.GitRepo.Length > 2048
        )
            errors.Add("git_repo: must be a repository URL");
        if (
            body.GitRef is { } gitRef
            && (
                gitRef.Length is 0 or > 256
                || gitRef.StartsWith('-')
                || gitRef.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            )
        )
            errors.Add($"git_ref: '{gitRef}' is not a branch, tag or commit");
        if (
            body.GitPath is { } path
            && (Path.IsPathRooted(path) || path.Split('/').Contains("..") || path.Any(char.IsControl))
        )
            errors.Add("git_path: must be a relative directory inside the checkout");
        return new GitSource(body.GitRepo, body.GitRef, body.GitPath, body.GitSecret);
    }
}
