using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Audit;
using Hearth.Server.Auth;
using Hearth.Server.OpenApi;
using Hearth.Store.Access;

namespace Hearth.Server.Api;

/// <summary>
/// Users and onboarding: an admin creates a user and hands over a one-time claim token; the user claims a key with it.
/// </summary>
public static class UserEndpoints
{
    public static readonly TimeSpan ClaimLifetime = TimeSpan.FromMinutes(15);

    public static void MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(
                "/api/v1/users",
                async (
                    HttpContext http,
                    IAccessStore store,
                    TimeProvider time,
                    Configuration.ServerOptions options,
                    CancellationToken ct
                ) =>
                {
                    var body = await RequestBody.ReadAsync<CreateUserBody>(http, ct, options.Access.MaxRunBodyBytes);
                    if (body.Error is { } bad)
                        return bad;
                    var email = body.Value!.Email?.Trim() ?? "";
                    if (Hearth.Core.Names.Names.Email.Problem(email) is { } problem)
                        return ApiResults.Invalid($"email: {problem}");
                    var role = body.Value.Role?.Trim().ToLowerInvariant() ?? "";
                    if (!Roles.UserRoles.Contains(role))
                        return ApiResults.Invalid($"role: expected one of {string.Join(", ", Roles.UserRoles)}");

                    var now = time.GetUtcNow();
                    var token = ApiKeys.NewClaimToken();
                    var requestId = RequestIdMiddleware.Of(http);
                    var user = new UserRecord(email, role, now, Caller.From(http).Name, requestId);
                    var claim = new ClaimTokenRecord(ApiKeys.Hash(token), email, now, now + ClaimLifetime);
                    AuditTarget.Set(http, email);
                    if (!await store.CreateUserAsync(user, claim, ct))
                        return ApiResults.Error(
                            StatusCodes.Status409Conflict,
                            "USER_EXISTS",
                            $"a user '{email}' exists already"
                        );
                    return ApiResults.Json(
                        new CreatedUserView(View(user), token, claim.ExpiresAt),
                        StatusCodes.Status201Created
                    );
                }
            )
            .WithSummary("Create a user and its one-time claim token")
            .Body<CreateUserBody>()
            .Answers<CreatedUserView>(StatusCodes.Status201Created)
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status409Conflict, "USER_EXISTS");

        app.MapGet("/api/v1/users", async (IAccessStore store, CancellationToken ct) =>
                ApiResults.Json(new UserListView((await store.ListUsersAsync(ct)).Select(View).ToList()))
            )
            .WithSummary("List users")
            .Answers<UserListView>();

        app.MapPost(
                "/api/v1/users/{email}/revoke",
                async (
                    HttpContext http,
                    string email,
                    IAccessStore store,
                    VerifiedKeys verified,
                    TimeProvider time,
                    CancellationToken ct
                ) =>
                {
                    var revoked = await store.RevokeUserAsync(
                        email,
                        time.GetUtcNow(),
                        RequestIdMiddleware.Of(http),
                        ct
                    );
                    // Whatever the answer: a revoke racing a lookup must not leave a revoked key trusted here.
                    verified.ForgetAll();
                    return revoked
                        ? ApiResults.Json(new MessageView($"user {email} and all its keys are revoked", Email: email))
                        : ApiResults.NotFound($"no user '{email}'");
                }
            )
            .WithSummary("Revoke a user and all its keys")
            .Answers<MessageView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        app.MapPost(
                "/api/v1/claim/{token}",
                async (
                    HttpContext http,
                    string token,
                    IAccessStore store,
                    AuthFailureThrottle throttle,
                    IdGenerator ids,
                    TimeProvider time,
                    CancellationToken ct
                ) =>
                {
                    var address = ClientAddress.Of(http);
                    if (throttle.IsBlocked(address))
                        return ApiResults.Error(
                            StatusCodes.Status429TooManyRequests,
                            "TOO_MANY_FAILURES",
                            "too many failed attempts from this address; wait a minute"
                        );
                    var key = ApiKeys.NewUserKey();
                    var result = await store.ClaimAsync(
                        ApiKeys.Hash(token),
                        ids.Next(),
                        ApiKeys.Hash(key),
                        time.GetUtcNow(),
                        address,
                        ct
                    );
                    if (result.User is { } claimedFor)
                        AuditTarget.Set(http, claimedFor.Email);
                    if (result.Outcome != ClaimOutcome.Claimed)
                        throttle.RecordFailure(address);
                    return result.Outcome switch
                    {
                        ClaimOutcome.Claimed => ApiResults.Json(
                            new ClaimView(
                                key,
                                result.User!.Email,
                                result.User.Role,
                                "this key is shown once: keep it (hearth claim saves it in the CLI config)"
                            )
                        ),
                        ClaimOutcome.AlreadyUsed => ApiResults.Error(
                            StatusCodes.Status410Gone,
                            "CLAIM_TOKEN_USED",
                            "this claim token was used already; ask an admin for a new user"
                        ),
                        ClaimOutcome.Expired => ApiResults.Error(
                            StatusCodes.Status410Gone,
                            "CLAIM_TOKEN_EXPIRED",
                            $"this claim token expired ({ClaimLifetime.TotalMinutes:0} minutes after it was made)"
                        ),
                        ClaimOutcome.UserRevoked => ApiResults.Error(
                            StatusCodes.Status403Forbidden,
                            "USER_REVOKED",
                            "the user this token was for is revoked"
                        ),
                        _ => ApiResults.Error(
                            StatusCodes.Status404NotFound,
                            "CLAIM_TOKEN_INVALID",
                            "no such claim token"
                        ),
                    };
                }
            )
            .WithSummary("Claim a user's API key with its one-time token")
            .Answers<ClaimView>()
            .Errors(StatusCodes.Status403Forbidden, "USER_REVOKED")
            .Errors(StatusCodes.Status404NotFound, "CLAIM_TOKEN_INVALID")
            .Errors(StatusCodes.Status410Gone, "CLAIM_TOKEN_USED", "CLAIM_TOKEN_EXPIRED")
            .Errors(StatusCodes.Status429TooManyRequests, "TOO_MANY_FAILURES");
    }

    public static UserView View(UserRecord u) =>
        new(
            u.Email,
            u.Role,
            u.CreatedAt,
            u.CreatedBy,
            u.RevokedAt is not null,
            u.RevokedAt,
            u.CreatedByRequestId,
            u.ModifiedByRequestId
        );
}
