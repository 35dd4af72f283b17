using System.Text.RegularExpressions;

namespace Hearth.Core.Names;

/// <summary>The one grammar per kind of name, used by the API, the stores' callers and the CLI alike.</summary>
public static partial class Names
{
    /// <summary>Cluster-wide lock names: "deploy-prod", "db:migrations", "release.v2".</summary>
    public static NameGrammar Lock { get; } =
        new(
            "lock name",
            LockPattern(),
            128,
            "1 to 128 letters, digits, '-', '_', '.' and ':', starting with a letter or digit, no '..'"
        );

    /// <summary>Secret names: "db-password", "deploy_key.v2".</summary>
    public static NameGrammar Secret { get; } =
        new(
            "secret name",
            SecretPattern(),
            128,
            "1 to 128 letters, digits, '_', '.' and '-', starting with a letter or digit, no '..'"
        );

    /// <summary>Schedule names: "nightly", "ci.hourly-lint".</summary>
    public static NameGrammar Schedule { get; } =
        new(
            "schedule name",
            SecretPattern(),
            128,
            "1 to 128 letters, digits, '_', '.' and '-', starting with a letter or digit, no '..'"
        );

    /// <summary>User emails: the usual local@domain, without '/', spaces or quotes (they appear in URLs).</summary>
    public static NameGrammar Email { get; } =
        new(
            "user email",
            EmailPattern(),
            254,
            "an email address such as dev@example.com (letters, digits and . _ % + - before the @, a domain after it)"
        );

    /// <summary>
    /// Image references as docker writes them: [registry[:port]/]repository[:tag][@sha256:digest], the repository in
    /// lowercase path components ("127.0.0.1:5000/tools:1", "alpine@sha256:…").
    /// </summary>
    public static NameGrammar ImageReference { get; } =
        new(
            "image reference",
            ImagePattern(),
            512,
            "[registry[:port]/]repository[:tag][@sha256:digest], e.g. 127.0.0.1:5000/tools:1 (lowercase repository)"
        );

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
    private static partial Regex LockPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex SecretPattern();

    [GeneratedRegex(
        @"^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*"
            + @"@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
    )]
    private static partial Regex EmailPattern();

    [GeneratedRegex(
        @"^(([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])"
            + @"(:[0-9]{1,5})?/)?"
            + @"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"
            + @"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$"
    )]
    private static partial Regex ImagePattern();
}
