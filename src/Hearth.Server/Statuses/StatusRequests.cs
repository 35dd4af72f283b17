using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hearth.Store.Statuses;

namespace Hearth.Server.Statuses;

/// <summary>
/// The request that sets one commit status, exactly as each forge documents it: GitHub's and Gitea's <c>POST
/// …/repos/{owner}/{repo}/statuses/{sha}</c>, GitLab's <c>POST /projects/:id/statuses/:sha</c> (the project path
/// URL-encoded), Bitbucket Cloud's <c>POST /repositories/{workspace}/{slug}/commit/{sha}/statuses/build</c> and Data
/// Center's <c>POST /rest/build-status/1.0/commits/{sha}</c>, each with its own states, fields and auth scheme.
/// </summary>
public static class StatusRequests
{
    public const string UserAgent = "hearth-commit-status";

    public static HttpRequestMessage Build(StatusApi api, string token, CommitStatusEntry entry)
    {
        var sha = Uri.EscapeDataString(entry.Sha);
        var (path, body) = api.Kind switch
        {
            StatusApiKind.GitHub => (
                $"/repos/{EscapePath(api.RepositoryPath)}/statuses/{sha}",
                Json(w =>
                {
                    w.WriteString("state", GitHubState(entry.Phase));
                    w.WriteString("target_url", entry.TargetUrl);
                    w.WriteString("description", Description(entry));
                    w.WriteString("context", entry.Context);
                })
            ),
            StatusApiKind.GitLab => (
                $"/projects/{Uri.EscapeDataString(api.RepositoryPath)}/statuses/{sha}",
                Json(w =>
                {
                    w.WriteString("state", GitLabState(entry.Phase));
                    w.WriteString("name", entry.Context);
                    w.WriteString("target_url", entry.TargetUrl);
                    w.WriteString("description", Description(entry));
                })
            ),
            StatusApiKind.Gitea => (
                $"/repos/{EscapePath(api.RepositoryPath)}/statuses/{sha}",
                Json(w =>
                {
                    w.WriteString("state", GiteaState(entry.Phase));
                    w.WriteString("target_url", entry.TargetUrl);
                    w.WriteString("description", Description(entry));
                    w.WriteString("context", entry.Context);
                })
            ),
            StatusApiKind.BitbucketCloud => (
                $"/repositories/{EscapePath(api.RepositoryPath)}/commit/{sha}/statuses/build",
                Json(w =>
                {
                    w.WriteString("key", BitbucketKey(entry.Context));
                    w.WriteString("state", BitbucketCloudState(entry.Phase));
                    w.WriteString("url", entry.TargetUrl);
                    w.WriteString("name", entry.Context);
                    w.WriteString("description", Description(entry));
                })
            ),
            _ => (
                $"/rest/build-status/1.0/commits/{sha}",
                Json(w =>
                {
                    w.WriteString("key", BitbucketKey(entry.Context));
                    w.WriteString("state", BitbucketDataCenterState(entry.Phase));
                    w.WriteString("url", entry.TargetUrl);
                    w.WriteString("name", entry.Context);
                    w.WriteString("description", Description(entry));
                })
            ),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, api.BaseUrl + path)
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.UserAgent.ParseAdd(UserAgent);
        switch (api.Kind)
        {
            case StatusApiKind.GitHub:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Accept.ParseAdd("application/vnd.github+json");
                request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
                break;
            case StatusApiKind.GitLab:
                request.Headers.Add("PRIVATE-TOKEN", token);
                break;
            case StatusApiKind.Gitea:
                request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
                break;
            default:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Accept.ParseAdd("application/json");
                break;
        }
        return request;
    }

    /// <summary>GitHub has no running or canceled state: running is pending, a stop is an error.</summary>
    public static string GitHubState(string phase) =>
        phase switch
        {
            StatusPhase.Pending or StatusPhase.Running => "pending",
            StatusPhase.Success => "success",
            StatusPhase.Failure => "failure",
            _ => "error",
        };

    public static string GitLabState(string phase) =>
        phase switch
        {
            StatusPhase.Pending => "pending",
            StatusPhase.Running => "running",
            StatusPhase.Success => "success",
            StatusPhase.Canceled => "canceled",
            _ => "failed",
        };

    public static string GiteaState(string phase) =>
        phase switch
        {
            StatusPhase.Pending or StatusPhase.Running => "pending",
            StatusPhase.Success => "success",
            StatusPhase.Failure => "failure",
            _ => "error",
        };

    public static string BitbucketCloudState(string phase) =>
        phase switch
        {
            StatusPhase.Pending or StatusPhase.Running => "INPROGRESS",
            StatusPhase.Success => "SUCCESSFUL",
            StatusPhase.Canceled => "STOPPED",
            _ => "FAILED",
        };

    /// <summary>The 1.0 build-status resource knows only INPROGRESS, SUCCESSFUL and FAILED.</summary>
    public static string BitbucketDataCenterState(string phase) =>
        phase switch
        {
            StatusPhase.Pending or StatusPhase.Running => "INPROGRESS",
            StatusPhase.Success => "SUCCESSFUL",
            _ => "FAILED",
        };

    /// <summary>The context itself when it fits Bitbucket's 40-character key, else a stable hash of it.</summary>
    public static string BitbucketKey(string context) =>
        context.Length <= 40
            ? context
            : "hearth-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(context)))[..32];

    /// <summary>GitHub cuts descriptions at 140 characters; every forge gets the same short text.</summary>
    private static string Description(CommitStatusEntry entry) =>
        entry.Description.Length <= 140 ? entry.Description : entry.Description[..139] + "…";

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
