namespace Hearth.Server.Auth;

public static class Roles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Developer = "developer";
    public const string Viewer = "viewer";

    /// <summary>The role of agent tokens; it grants nothing outside the agent protocol.</summary>
    public const string Agent = "agent";

    public static IReadOnlyList<string> UserRoles { get; } = [Admin, Operator, Developer, Viewer];
}
