namespace Hearth.Server.Repositories;

/// <summary>
/// How the server reaches one repository with git: its URL and, for HTTPS, the user name and token to send.
/// </summary>
public sealed record GitAccess(string Name, string Url, string? Username, string? Token)
{
    /// <summary>The user name each forge documents for a token sent over HTTPS basic authentication.</summary>
    public static string TokenUser(string forge) =>
        forge switch
        {
            "github" => "x-access-token",
            "gitlab" => "oauth2",
            "bitbucket" => "x-token-auth",
            _ => "hearth",
        };
}

/// <summary>
/// git could not do what was asked (fetch, read); the message is git's own last line, never a credential.
/// </summary>
public sealed class GitException(string message) : Exception(message);
