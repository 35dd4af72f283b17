using Hearth.Server.Api;

namespace Hearth.Server.Auth;

/// <summary>
/// Default-deny authorization from <see cref="Policy"/>: an endpoint without a rule is refused; a user key needs its
/// role to grant the rule's permission, or, where the rule allows it, to have created the resource the route names.
/// </summary>
public sealed class AuthorizationMiddleware(RequestDelegate next, OwnerLookup owners)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var rule = EndpointRules.Of(context);
        if (rule is null)
        {
            if (context.GetEndpoint() is null)
            {
                await next(context);
                return;
            }
            await ApiResults
                .Error(
                    StatusCodes.Status403Forbidden,
                    "FORBIDDEN",
                    $"{context.Request.Method} {context.Request.Path} has no access rule, so it is denied"
                )
                .ExecuteAsync(context);
            return;
        }
        if (rule.Audience is Audience.Public or Audience.Agent)
        {
            await next(context);
            return;
        }

        var caller = Caller.From(context);
        if (Policy.IsGranted(caller.Role, rule.Permission))
        {
            await next(context);
            return;
        }
        if (rule.Owner != Owned.No && EndpointRules.RouteId(context) is { } id)
        {
            var owner = await owners.OwnerOfAsync(rule.Owner, id, context.RequestAborted);
            if (owner is null || owner == caller.Name)
            {
                await next(context);
                return;
            }
        }
        var onlyOwn =
            rule.Owner == Owned.No ? "" : $" (only on {rule.Owner.ToString().ToLowerInvariant()}s it created)";
        await Web.WebPage.Refuse(
            context,
            StatusCodes.Status403Forbidden,
            "FORBIDDEN",
            $"role '{caller.Role}' may not {rule.Permission}{onlyOwn}"
        );
    }
}
